/**
 * Synthesizes the reference app with the CDK CLI (cdk.json's app command), adapts its template to
 * what moto 5.2.1 can create, and deploys the adapted cloud assembly to moto with the CLI.
 *
 * Every adaptation is listed in the result and printed: each stands for a gap of moto, none changes
 * what the pipeline's state machine does.
 * - GetAtt of a resource whose type moto does not model (it skips those, and then rejects the whole
 *   template for the dangling GetAtt): replaced by the ARN CloudFormation would return;
 * - Lambda-backed custom resources (moto runs Lambda only in Docker, and the stack would wait for the
 *   answer for ever): removed; the local run does their work itself (BucketDeployment: the sample upload);
 * - SageMaker instance types moto's CreateEndpointConfig does not accept (its enum predates g5):
 *   replaced by the closest it accepts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { bootstrapMoto, MOTO_ACCOUNT, MOTO_REGION, MotoServer, runCdk } from '../test/helpers/moto';
import { pythonJson } from './python';

export interface Adaptation {
  readonly resource: string;
  readonly what: string;
}

export interface DeployedReference {
  readonly stackName: string;
  readonly template: Template;
  readonly adaptations: Adaptation[];
  /** The resources the adaptations removed (the custom resources), as synthesized. */
  readonly removed: Template['Resources'];
  readonly synthMs: number;
  readonly deployMs: number;
}

export interface Template {
  Resources: Record<string, { Type: string; Properties?: any; DependsOn?: string | string[]; Condition?: string }>;
  Outputs?: Record<string, { Value: unknown }>;
  Parameters?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The GPU instance type moto's endpoint configuration enum lacks -> the one it has (same GPU family role). */
const MOTO_INSTANCE_FALLBACK = 'ml.g4dn.xlarge';

/** ARNs CloudFormation returns for `Fn::GetAtt [<id>, <attr>]` of the types moto skips, as Fn::Sub strings. */
function arnOf(type: string, logicalId: string, properties: any): string | undefined {
  const [partition, region, account] = ['${AWS::Partition}', '${AWS::Region}', '${AWS::AccountId}'];
  switch (type) {
    case 'AWS::SageMaker::ModelPackageGroup':
      return `arn:${partition}:sagemaker:${region}:${account}:model-package-group/${properties?.ModelPackageGroupName ?? logicalId}`;
    case 'AWS::CloudWatch::Alarm':
    case 'AWS::CloudWatch::CompositeAlarm':
      return `arn:${partition}:cloudwatch:${region}:${account}:alarm:${typeof properties?.AlarmName === 'string' ? properties.AlarmName : logicalId}`;
    default:
      return undefined;
  }
}

/**
 * What moto can hold, from one Python process (importing moto takes a second): the resource types its
 * CloudFormation creates (the rest it skips with a warning), and the instance types its SageMaker accepts.
 */
async function motoCapabilities(): Promise<{ modeled: Set<string>; instanceTypes: Set<string> }> {
  const { modeled, instanceTypes } = await pythonJson([
    'import json, re, sys, warnings',
    'warnings.simplefilter("ignore")',
    'from moto.cloudformation.parsing import get_model_map',
    'from moto.sagemaker.models import FakeEndpointConfig',
    // moto keeps the instance type enum inside a method: read it from the error it raises for an unknown type.
    'try:',
    '    FakeEndpointConfig.validate_instance_type(None, "ml.none")',
    '    sys.exit("moto accepted instance type ml.none: local/deploy.ts motoCapabilities() must read its instance types another way")',
    'except Exception as e:',
    '    instance_types = re.findall(r"ml\\.[a-z0-9.]+", str(e).split("enum value set", 1)[1])',
    'print(json.dumps({"modeled": sorted(get_model_map()), "instanceTypes": instance_types}))',
  ].join('\n'));
  return { modeled: new Set(modeled), instanceTypes: new Set(instanceTypes) };
}

/** Adapts a template in place to moto (see the file comment) and says what it changed. */
export function adaptTemplate(template: Template, modeled: Set<string>, instanceTypes: Set<string>, removed: Template['Resources'] = {}): Adaptation[] {
  const adaptations: Adaptation[] = [];
  const resources = template.Resources;
  const skipped = new Set(Object.keys(resources).filter((id) => !modeled.has(resources[id].Type) && !resources[id].Type.startsWith('Custom::')));

  for (const [id, resource] of Object.entries(resources)) {
    if (!resource.Type.startsWith('Custom::') && resource.Type !== 'AWS::CloudFormation::CustomResource') continue;
    removed[id] = resource;
    delete resources[id];
    adaptations.push({ resource: id, what: `${resource.Type} removed: moto runs Lambda-backed custom resources only in Docker` });
    for (const other of Object.values(resources)) {
      if (Array.isArray(other.DependsOn)) other.DependsOn = other.DependsOn.filter((d) => d !== id);
      else if (other.DependsOn === id) delete other.DependsOn;
    }
  }

  const replaceGetAtts = (value: any, owner: string): any => {
    if (Array.isArray(value)) return value.map((v) => replaceGetAtts(v, owner));
    if (!value || typeof value !== 'object') return value;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && skipped.has(getAtt[0])) {
      const target = resources[getAtt[0]];
      const arn = arnOf(target.Type, getAtt[0], target.Properties);
      if (!arn || !/Arn$/.test(getAtt[1])) {
        throw new Error(`${owner} reads ${getAtt[1]} of ${getAtt[0]} (${target.Type}), a type moto does not create: add its value to local/deploy.ts arnOf()`);
      }
      adaptations.push({ resource: owner, what: `GetAtt ${getAtt[0]}.${getAtt[1]} (${target.Type}, not modeled by moto) replaced by its ARN` });
      return { 'Fn::Sub': arn };
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceGetAtts(v, owner)]));
  };
  for (const [id, resource] of Object.entries(resources)) resource.Properties = replaceGetAtts(resource.Properties, id);
  for (const [id, output] of Object.entries(template.Outputs ?? {})) output.Value = replaceGetAtts(output.Value, `Outputs.${id}`);

  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::SageMaker::EndpointConfig') continue;
    for (const variant of resource.Properties?.ProductionVariants ?? []) {
      if (typeof variant.InstanceType === 'string' && !instanceTypes.has(variant.InstanceType)) {
        adaptations.push({ resource: id, what: `InstanceType ${variant.InstanceType} -> ${MOTO_INSTANCE_FALLBACK}: moto's CreateEndpointConfig does not know it` });
        variant.InstanceType = MOTO_INSTANCE_FALLBACK;
      }
    }
  }
  return adaptations;
}

/** The one stack of a cloud assembly (the reference app has one). */
function assemblyStack(dir: string): { stackName: string; templateFile: string } {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const stacks = Object.entries<any>(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) throw new Error(`expected one stack in the reference app, found ${stacks.map(([id]) => id).join(', ') || 'none'}`);
  const [id, artifact] = stacks[0];
  return { stackName: artifact.properties?.stackName ?? id, templateFile: path.join(dir, artifact.properties.templateFile) };
}

/**
 * `cdk synth` (cdk.json's app command, all cdk-nag packs on), the adaptations above, `cdk bootstrap`
 * and `cdk deploy --method=direct` of the adapted assembly. The assembly lives in `workDir`.
 */
export async function deployReference(moto: MotoServer, workDir: string, log: (line: string) => void): Promise<DeployedReference> {
  const assembly = path.join(workDir, 'cdk.out');
  const synthStart = Date.now();
  await runCdk(moto, ['synth', '--quiet', '--output', assembly], 300_000);
  const synthMs = Date.now() - synthStart;
  const { stackName, templateFile } = assemblyStack(assembly);
  const template: Template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  const { modeled, instanceTypes } = await motoCapabilities();
  const removed: Template['Resources'] = {};
  const adaptations = adaptTemplate(template, modeled, instanceTypes, removed);
  fs.writeFileSync(templateFile, JSON.stringify(template));
  log(`synthesized ${stackName} (${Object.keys(template.Resources).length + Object.keys(removed).length} resources, every cdk-nag pack on) in ${(synthMs / 1000).toFixed(1)} s; adapted for moto:`);
  // One line per kind of change (the GetAtt replacements come by the dozen).
  const kinds = new Map<string, string[]>();
  for (const a of adaptations) {
    const kind = a.what.replace(/^GetAtt \S+ \(([^,]+),.*$/, 'GetAtt of $1 replaced by its ARN (moto does not model the type)');
    kinds.set(kind, [...(kinds.get(kind) ?? []), a.resource]);
  }
  for (const [kind, owners] of kinds) log(`  - ${kind}: ${[...new Set(owners)].join(', ')}`);

  const deployStart = Date.now();
  await bootstrapMoto(moto, assembly);
  await runCdk(moto, [
    'deploy', stackName, '--app', assembly, '--output', path.join(workDir, 'deploy.out'),
    '--require-approval', 'never', '--method=direct', '--previous-parameters=false',
    // moto remembers only the parameters a deploy passed; the promotion's UpdateStack keeps the rest.
    '--parameters', 'BootstrapVersion=/cdk-bootstrap/hnb659fds/version',
  ], 300_000);
  return { stackName, template, adaptations, removed, synthMs, deployMs: Date.now() - deployStart };
}

export { MOTO_ACCOUNT, MOTO_REGION };
