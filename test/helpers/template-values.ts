/**
 * Deterministic fake values for what a synthesized template references: CloudFormation's intrinsic
 * functions evaluated with fake ARNs and names per resource type, so that tests can read a
 * definition or a policy with concrete values (test/helpers/asl.ts runs state machines with them,
 * test/helpers/iam.ts simulates IAM policies on them).
 */

/** The account, region and partition fake values are built from: those of `testStack()` in ./app.ts. */
export const FAKE_ENV = {
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  urlSuffix: 'amazonaws.com',
  stackName: 'TestStack',
} as const;

export interface TemplateJson {
  Resources?: Record<string, { Type: string; Properties?: any }>;
  Parameters?: Record<string, { Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** Evaluates the CloudFormation intrinsic functions CDK puts in definitions, with fake values for resources. */
export function resolveIntrinsics(value: unknown, t: TemplateJson): unknown {
  const resolve = (v: unknown) => resolveIntrinsics(v, t);
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [fn, arg] = entries.length === 1 ? entries[0] : [undefined, undefined];
  switch (fn) {
    case 'Ref':
      return fakeRef(arg as string, t);
    case 'Fn::GetAtt': {
      const [id, ...attr] = typeof arg === 'string' ? arg.split('.') : (resolve(arg) as string[]);
      return fakeGetAtt(id, attr.join('.'), t);
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown];
      return (resolve(parts) as unknown[]).map(String).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = resolve(arg) as [number | string, unknown[]];
      return list[Number(index)];
    }
    case 'Fn::Split': {
      const [separator, source] = resolve(arg) as [string, string];
      return source.split(separator);
    }
    case 'Fn::Sub': {
      const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
      const resolvedVars = resolve(vars) as Record<string, unknown>;
      return text.replace(/\$\{(!?)([^}]+)\}/g, (_m, literal: string, name: string) => {
        if (literal) return `\${${name}}`;
        if (name in resolvedVars) return String(resolvedVars[name]);
        const dot = name.indexOf('.');
        return String(dot < 0 ? fakeRef(name, t) : fakeGetAtt(name.slice(0, dot), name.slice(dot + 1), t));
      });
    }
    case 'Fn::FindInMap': {
      const [map, key1, key2] = resolve(arg) as string[];
      const found = t.Mappings?.[map]?.[key1]?.[key2];
      if (found === undefined) throw new Error(`Fn::FindInMap: no ${map}.${key1}.${key2} in the template's Mappings`);
      return found;
    }
    case 'Fn::ImportValue':
      return `<import:${resolve(arg)}>`;
    case undefined:
      break;
    default:
      if (fn === 'Condition' || fn.startsWith('Fn::')) {
        throw new Error(`resolveIntrinsics does not evaluate ${fn} yet; extend test/helpers/template-values.ts`);
      }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
}

/**
 * How fake values look for the resource types our state machines reference: the ARN, what Ref returns
 * (the name unless said otherwise, as in CloudFormation), and attributes other than Arn.
 */
interface FakeShape {
  /** Property whose literal value names the resource; else the logical id names it. */
  readonly nameProp?: string;
  readonly lowercase?: boolean;
  readonly arn: (name: string) => string;
  readonly ref?: 'arn' | ((name: string) => string);
  readonly attrs?: Record<string, (name: string) => string>;
}
const { account: ACCOUNT, region: REGION, partition: PARTITION, urlSuffix: URL_SUFFIX } = FAKE_ENV;
/** An ARN of this fake account and region. */
export const fakeArn = (service: string, resource: string, region: string = REGION, account: string = ACCOUNT) =>
  `arn:${PARTITION}:${service}:${region}:${account}:${resource}`;
const SHAPES: Record<string, FakeShape> = {
  'AWS::S3::Bucket': {
    nameProp: 'BucketName', lowercase: true, arn: (n) => fakeArn('s3', n, '', ''),
    attrs: { DomainName: (n) => `${n}.s3.${URL_SUFFIX}`, RegionalDomainName: (n) => `${n}.s3.${REGION}.${URL_SUFFIX}` },
  },
  'AWS::SNS::Topic': { nameProp: 'TopicName', arn: (n) => fakeArn('sns', n), ref: 'arn', attrs: { TopicArn: (n) => fakeArn('sns', n), TopicName: (n) => n } },
  'AWS::SQS::Queue': {
    nameProp: 'QueueName', arn: (n) => fakeArn('sqs', n), ref: (n) => `https://sqs.${REGION}.${URL_SUFFIX}/${ACCOUNT}/${n}`,
    attrs: { QueueName: (n) => n, QueueUrl: (n) => `https://sqs.${REGION}.${URL_SUFFIX}/${ACCOUNT}/${n}` },
  },
  'AWS::Lambda::Function': { nameProp: 'FunctionName', arn: (n) => fakeArn('lambda', `function:${n}`) },
  'AWS::IAM::Role': { nameProp: 'RoleName', arn: (n) => fakeArn('iam', `role/${n}`, ''), attrs: { RoleId: (n) => `AROA${n.toUpperCase()}` } },
  'AWS::StepFunctions::StateMachine': { nameProp: 'StateMachineName', arn: (n) => fakeArn('states', `stateMachine:${n}`), ref: 'arn', attrs: { Name: (n) => n } },
  'AWS::DynamoDB::Table': { nameProp: 'TableName', arn: (n) => fakeArn('dynamodb', `table/${n}`) },
  'AWS::KMS::Key': { arn: (n) => fakeArn('kms', `key/${n}`), attrs: { KeyId: (n) => n } },
  'AWS::Events::EventBus': { nameProp: 'Name', arn: (n) => fakeArn('events', `event-bus/${n}`), attrs: { Name: (n) => n } },
  'AWS::Logs::LogGroup': { nameProp: 'LogGroupName', arn: (n) => fakeArn('logs', `log-group:${n}:*`) },
  'AWS::ECR::Repository': {
    nameProp: 'RepositoryName', lowercase: true, arn: (n) => fakeArn('ecr', `repository/${n}`),
    attrs: { RepositoryUri: (n) => `${ACCOUNT}.dkr.ecr.${REGION}.${URL_SUFFIX}/${n}` },
  },
  'AWS::SageMaker::ModelPackageGroup': {
    nameProp: 'ModelPackageGroupName', arn: (n) => fakeArn('sagemaker', `model-package-group/${n.toLowerCase()}`), ref: 'arn',
    attrs: { ModelPackageGroupArn: (n) => fakeArn('sagemaker', `model-package-group/${n.toLowerCase()}`), ModelPackageGroupName: (n) => n },
  },
  'AWS::SageMaker::Model': { nameProp: 'ModelName', arn: (n) => fakeArn('sagemaker', `model/${n.toLowerCase()}`), ref: 'arn', attrs: { ModelName: (n) => n } },
  'AWS::SageMaker::EndpointConfig': {
    nameProp: 'EndpointConfigName', arn: (n) => fakeArn('sagemaker', `endpoint-config/${n.toLowerCase()}`), ref: 'arn',
    attrs: { EndpointConfigName: (n) => n },
  },
  'AWS::SageMaker::Endpoint': { nameProp: 'EndpointName', arn: (n) => fakeArn('sagemaker', `endpoint/${n.toLowerCase()}`), ref: 'arn', attrs: { EndpointName: (n) => n } },
};

const PSEUDO: Record<string, string> = {
  'AWS::Partition': PARTITION,
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': URL_SUFFIX,
  'AWS::StackName': FAKE_ENV.stackName,
  'AWS::StackId': fakeArn('cloudformation', `stack/${FAKE_ENV.stackName}/00000000-0000-0000-0000-000000000000`),
};

function fakeName(logicalId: string, t: TemplateJson): { shape?: FakeShape; name: string } {
  const resource = t.Resources?.[logicalId];
  if (!resource) throw new Error(`Reference to ${logicalId}, which is not a resource or parameter of the template`);
  const shape = SHAPES[resource.Type];
  const literal = shape?.nameProp ? resource.Properties?.[shape.nameProp] : undefined;
  const name = typeof literal === 'string' ? literal : shape?.lowercase ? logicalId.toLowerCase() : logicalId;
  return { shape, name };
}

/** What `Ref` returns here: pseudo parameters, template parameters' defaults, else per resource type (default: the logical id). */
export function fakeRef(id: string, t: TemplateJson): unknown {
  if (id in PSEUDO) return PSEUDO[id];
  if (id.startsWith('AWS::')) throw new Error(`Ref ${id} is not supported by resolveIntrinsics`);
  if (t.Parameters?.[id]) return t.Parameters[id].Default ?? `<${id}>`;
  const { shape, name } = fakeName(id, t);
  if (!shape?.ref) return name;
  return shape.ref === 'arn' ? shape.arn(name) : shape.ref(name);
}

/** What `Fn::GetAtt` returns here: an ARN of the right shape for Arn, known attributes, else `<LogicalId>.<Attr>`. */
export function fakeGetAtt(id: string, attribute: string, t: TemplateJson): string {
  const { shape, name } = fakeName(id, t);
  if (shape && attribute === 'Arn') return shape.arn(name);
  return shape?.attrs?.[attribute]?.(name) ?? `${id}.${attribute}`;
}
