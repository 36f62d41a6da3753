import { Stack, Stage, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DataLake, IDataLake } from '../lake/data-lake';

/** The construct id of the stack that holds what the models share. */
export const SHARED_STACK_ID = 'Shared';
/** CloudFormation stack names: a letter, then letters, digits and hyphens; at most 128 characters. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
const MAX_STACK_NAME = 128;

/**
 * The name of one of the fleet's stacks: `<fleet id>-<id>`, after the stage's name as CDK names
 * stacks in a stage. It depends on nothing but the two ids, so adding a model renames nothing.
 */
export function fleetStackName(fleet: Construct, id: string): string {
  const stage = Stage.of(fleet);
  const prefix = stage?.stageName ? `${stage.stageName}-` : '';
  return `${prefix}${fleet.node.id}-${id}`;
}

/** Problems with an id as part of a stack name, for a PropsValidator. */
export function stackNameProblems(what: string, id: string, name: string): string[] {
  const problems: string[] = [];
  if (!STACK_NAME.test(id)) {
    problems.push(`${what} '${id}' must start with a letter and hold only letters, digits and hyphens: it is part of the stack name '${name}'; `
      + `use e.g. '${validPart(id)}'`);
  }
  if (name.length > MAX_STACK_NAME) {
    problems.push(`the stack name '${name}' (from ${what} '${id}') is ${name.length} characters long; CloudFormation allows ${MAX_STACK_NAME}: choose a shorter id`);
  }
  return problems;
}

/**
 * Problems with the fleet's stage name, which starts every stack name of the fleet: a stage name
 * may hold `_` and `.`, which CloudFormation's stack names may not.
 */
export function stageNameProblems(fleet: Construct): string[] {
  const stageName = Stage.of(fleet)?.stageName;
  if (!stageName || STACK_NAME.test(stageName)) return [];
  return [`the stage name '${stageName}' starts the fleet's stack names ('${fleetStackName(fleet, SHARED_STACK_ID)}'), which hold only letters, digits and hyphens `
    + `and start with a letter; name the stage e.g. '${validPart(stageName)}'`];
}

/** `part` made valid in a stack name, for the fix an error suggests: `churn_v2` becomes `churn-v2`. */
function validPart(part: string): string {
  return part.replace(/[^A-Za-z0-9-]/g, '-').replace(/^[^A-Za-z]+/, '') || 'Model';
}

/** What a model stack imports of a lake: its bucket names and its key's ARN. */
function lakeAttributes(lake: IDataLake) {
  return {
    rawBucketName: lake.rawBucket.bucketName,
    curatedBucketName: lake.curatedBucket.bucketName,
    artifactsBucketName: lake.artifactsBucket.bucketName,
    captureBucketName: lake.captureBucket.bucketName,
    keyArn: lake.encryptionKey.keyArn,
  };
}

/**
 * Exports from the lake's stack what model stacks import of it (`importDataLake`), whether or not
 * a model imports it yet. CloudFormation refuses to remove an export another stack imports
 * (Fn::ImportValue: "You can't modify or remove an output value that is referenced by another
 * stack"), and CDK deploys the shared stack before the model stacks: an export made only when a
 * model consumes it would leave the shared stack when its last consumer leaves the app (a model
 * removed, or switched to a topic of its own), while the deployed model stack still imports it.
 */
export function exportDataLake(lake: IDataLake): void {
  const producer = Stack.of(lake);
  for (const value of Object.values(lakeAttributes(lake))) importValue(producer, value);
}

/**
 * The lake as a model stack sees it: imported by its bucket names and key ARN, so the model stack
 * imports those few values (one export each, shared by every model) and nothing a model does
 * (a grant, a rule) adds to the lake's own resources or template. Grants land on the model's
 * roles; the lake's key trusts the account's IAM policies.
 */
export function importDataLake(scope: Construct, lake: IDataLake): IDataLake {
  const producer = Stack.of(lake);
  if (producer === Stack.of(scope)) return lake;
  const { keyArn, ...buckets } = lakeAttributes(lake);
  const imported = importer(scope, producer);
  return DataLake.fromDataLakeAttributes(scope, 'DataLake', {
    rawBucketName: imported(buckets.rawBucketName),
    curatedBucketName: imported(buckets.curatedBucketName),
    artifactsBucketName: imported(buckets.artifactsBucketName),
    captureBucketName: imported(buckets.captureBucketName),
    // A key ARN from another stack is a token: fromKeyArn splits it at deploy time.
    encryptionKey: kms.Key.fromKeyArn(scope, 'DataLakeKey', imported(keyArn)),
  });
}

/**
 * `importValue` for `scope`'s stack: a value it imports makes it depend on `producer`. An explicit
 * `Fn::ImportValue` adds no dependency (an implicit reference would), and without one CDK may
 * deploy the model's stack before the export exists ("No export named ... found"), e.g. a
 * model's own lake in a stack of its own, or `cdk deploy <model stack>`.
 */
export function importer(scope: Construct, producer: Stack): (value: string) => string {
  const consumer = Stack.of(scope);
  return (value) => {
    const imported = importValue(producer, value);
    if (imported !== value) consumer.addStackDependency(producer, `it imports values that stack ${producer.stackName} exports`);
    return imported;
  };
}

/**
 * `value` of stack `producer` as an explicit `Fn::ImportValue` of its export. The same export CDK
 * would make for an implicit reference, but resolved from the start, so what the model's
 * constructs derive from it at construction (cdk-nag acknowledgements name resources) is what
 * the template holds. A literal stays a literal; a value `producer` cannot export (not a plain
 * attribute of one of its resources) stays an implicit reference.
 */
export function importValue(producer: Stack, value: string): string {
  if (!Token.isUnresolved(value)) return value;
  try {
    return producer.exportValue(value);
  } catch {
    return value;
  }
}

