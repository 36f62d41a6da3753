import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { ROOT, testStack } from './app';
import { AslDefinition, definitionFromTemplate, namedError, TaskHandlers } from './asl';
import { DataLake, MlInstanceType, SageMakerImage, TrainingPipeline, TrainingPipelineProps } from '../../lib';

export const SCRIPTS = path.join(ROOT, 'examples', 'training', 'scripts');

export const AUC_METRIC = { name: 'validation:auc', regex: 'validation:auc=([0-9\\.]+)' };

/** The full pipeline of the examples: preprocess, train (script mode), evaluate, gate on the report's AUC. */
export function fullPipelineProps(lake: DataLake, overrides: Partial<TrainingPipelineProps> = {}): TrainingPipelineProps {
  return {
    dataLake: lake,
    pipelineName: 'churn',
    preprocessing: { script: path.join(SCRIPTS, 'preprocess.py'), arguments: ['--seed', '7'] },
    training: {
      image: SageMakerImage.sklearn('1.2-1-cpu-py3'),
      instanceType: MlInstanceType.ML_M5_XLARGE,
      script: path.join(SCRIPTS, 'train.py'),
      hyperparameters: { n_estimators: '100', learning_rate: '0.1' },
      metricDefinitions: [AUC_METRIC],
    },
    evaluation: { script: path.join(SCRIPTS, 'evaluate.py') },
    gate: { metricName: 'auc', threshold: 0.8 },
    ...overrides,
  };
}

/** A stack with a data lake and a pipeline built from `props(lake)`. */
export function pipelineStack(props: (lake: DataLake) => TrainingPipelineProps = fullPipelineProps): { stack: Stack; lake: DataLake; pipeline: TrainingPipeline } {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const pipeline = new TrainingPipeline(stack, 'Pipeline', props(lake));
  return { stack, lake, pipeline };
}

/** The definition of the pipeline's own state machine (the stack also holds the backstop's cleanup machine). */
export function pipelineDefinition(template: { toJSON(): any }, prefix = 'PipelineStateMachine'): AslDefinition {
  const id = Object.keys(template.toJSON().Resources).find((k) => k.startsWith(prefix) && template.toJSON().Resources[k].Type === 'AWS::StepFunctions::StateMachine');
  return definitionFromTemplate(template, id);
}

type AttributeValue = { S: string } | { N: string };
type Item = Record<string, AttributeValue>;

/**
 * DynamoDB as the pipeline's run table sees it, through Step Functions' optimized integration:
 * PutItem and UpdateItem with ConditionExpression (attribute_exists, attribute_not_exists, <, AND,
 * OR, parentheses) and UpdateExpression (ADD, SET, REMOVE), name and value placeholders, strongly
 * consistent like DynamoDB's conditional writes, failing a false condition with
 * DynamoDB.ConditionalCheckFailedException. `failures` injects service errors per operation.
 */
export class FakeRunTable {
  public readonly items = new Map<string, Item>();
  public readonly failures: { putItem: Error[]; updateItem: Error[] } = { putItem: [], updateItem: [] };
  public readonly calls: Array<{ op: string; input: any }> = [];

  public handlers(): TaskHandlers {
    return {
      'dynamodb:putItem': (input) => this.putItem(input),
      'dynamodb:updateItem': (input) => this.updateItem(input),
    };
  }

  /** Runs holding a slot: the count and the holders' execution ARNs. */
  public slots(): { held: number; holders: string[] } {
    const item = this.items.get('slots') ?? {};
    const held = 'held' in item ? Number((item.held as { N: string }).N) : 0;
    return { held, holders: Object.keys(item).filter((k) => k.startsWith('arn:')) };
  }

  private putItem(input: any): unknown {
    this.calls.push({ op: 'putItem', input });
    const failure = this.failures.putItem.shift();
    if (failure) throw failure;
    const key = input.Item.pk.S;
    this.check(this.items.get(key), input);
    this.items.set(key, structuredClone(input.Item));
    return {};
  }

  private updateItem(input: any): unknown {
    this.calls.push({ op: 'updateItem', input });
    const failure = this.failures.updateItem.shift();
    if (failure) throw failure;
    const key = input.Key.pk.S;
    const existing = this.items.get(key);
    this.check(existing, input);
    const item: Item = structuredClone(existing ?? { ...input.Key });
    const name = (token: string) => (token.startsWith('#') ? input.ExpressionAttributeNames[token] : token);
    const value = (token: string) => input.ExpressionAttributeValues[token];
    for (const clause of String(input.UpdateExpression).split(/\s+(?=ADD|SET|REMOVE)/)) {
      const [action, ...rest] = clause.trim().split(/\s+/);
      const body = rest.join(' ');
      for (const part of body.split(',').map((x) => x.trim())) {
        if (action === 'ADD') {
          const [a, v] = part.split(/\s+/);
          const current = item[name(a)] ? Number((item[name(a)] as { N: string }).N) : 0;
          item[name(a)] = { N: String(current + Number(value(v).N)) };
        } else if (action === 'SET') {
          const [a, v] = part.split(/\s*=\s*/);
          item[name(a)] = value(v);
        } else if (action === 'REMOVE') {
          delete item[name(part)];
        } else {
          throw new Error(`FakeRunTable does not support update action ${action}`);
        }
      }
    }
    this.items.set(key, item);
    return {};
  }

  private check(item: Item | undefined, input: any): void {
    if (!input.ConditionExpression) return;
    const tokens: string[] = String(input.ConditionExpression).match(/\(|\)|[A-Za-z_]+\(|[#:]?[A-Za-z0-9_]+|<=|>=|<>|<|>|=/g) ?? [];
    let i = 0;
    const name = (t: string) => (t.startsWith('#') ? input.ExpressionAttributeNames[t] : t);
    const operand = (t: string): number | string | undefined => {
      if (t.startsWith(':')) {
        const v = input.ExpressionAttributeValues[t];
        return 'N' in v ? Number(v.N) : v.S;
      }
      const v = item?.[name(t)] as any;
      return v === undefined ? undefined : 'N' in v ? Number(v.N) : v.S;
    };
    const primary = (): boolean => {
      const t = tokens[i++];
      if (t === '(') { const r = or(); i++; return r; }
      if (t === 'attribute_exists(' || t === 'attribute_not_exists(') {
        const present = item !== undefined && name(tokens[i++]) in item;
        i++; // ')'
        return t === 'attribute_exists(' ? present : !present;
      }
      const op = tokens[i++];
      const left = operand(t);
      const right = operand(tokens[i++]);
      // DynamoDB: a comparison with a missing attribute is false.
      if (left === undefined || right === undefined) return false;
      switch (op) {
        case '<': return left < right;
        case '<=': return left <= right;
        case '>': return left > right;
        case '>=': return left >= right;
        case '=': return left === right;
        case '<>': return left !== right;
        default: throw new Error(`FakeRunTable does not support operator ${op}`);
      }
    };
    const and = (): boolean => { let r = primary(); while (tokens[i] === 'AND') { i++; const n = primary(); r = r && n; } return r; };
    const or = (): boolean => { let r = and(); while (tokens[i] === 'OR') { i++; const n = and(); r = r || n; } return r; };
    if (!or()) throw namedError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
  }
}
