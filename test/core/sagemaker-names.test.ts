/**
 * The library's verdict on SageMaker names against the source of truth: the patterns and length
 * limits of botocore's SageMaker service model (the API model AWS publishes), over names that
 * fast-check generates, valid and invalid.
 */
import { spawnSync } from 'child_process';
import { Lazy } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { testStack } from '../helpers/app';
import { ModelRegistry } from '../../lib';
import { isSageMakerName } from '../../lib/core/private/sagemaker-api';

/** The shapes whose names the library checks with isSageMakerName, as CreateX requests name them. */
const SHAPES: Array<[operation: string, member: string]> = [
  ['CreateEndpoint', 'EndpointName'],
  ['CreateModelPackageGroup', 'ModelPackageGroupName'],
  ['CreateTrainingJob', 'TrainingJobName'],
  ['CreateProcessingJob', 'ProcessingJobName'],
];

interface NameShape { readonly min: number; readonly max: number; readonly pattern: string }

function apiModel(): Record<string, NameShape> {
  const script = `
import json, sys, botocore.session
m = botocore.session.get_session().get_service_model('sagemaker')
out = {}
for op, member in json.loads(sys.argv[1]):
    meta = m.operation_model(op).input_shape.members[member].metadata
    out[op + '.' + member] = {'min': meta.get('min', 0), 'max': meta['max'], 'pattern': meta['pattern']}
variant = m.shape_for('ProductionVariant').members['VariantName'].metadata
out['ProductionVariant.VariantName'] = {'min': variant.get('min', 0), 'max': variant['max'], 'pattern': variant['pattern']}
print(json.dumps(out))
`;
  const result = spawnSync('python3', ['-c', script, JSON.stringify(SHAPES)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`botocore's SageMaker model could not be read: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

const MODEL = apiModel();

/** What the API model accepts: a name within its length limits that its pattern matches whole (an empty name is never a valid one). */
function apiAccepts(shape: NameShape, name: string): boolean {
  return name.length >= Math.max(shape.min, 1) && name.length <= shape.max && new RegExp(`^(?:${shape.pattern})$`).test(name);
}

const nameChars = fc.constantFrom(...'abcXYZ019-_. /'.split(''));
/** Mostly name-like strings (letters, digits, runs of hyphens) of every length around the limit, and some junk. */
const names = fc.oneof(
  fc.string({ unit: nameChars, minLength: 0, maxLength: 80, size: 'max' }),
  // A letter or digit, then runs of hyphens each followed by one: what the pattern matches, at any length.
  fc.array(fc.tuple(fc.constantFrom('', '-', '--', '---'), fc.constantFrom('a', 'Z', '7')), { minLength: 0, maxLength: 62, size: 'max' })
    .map((parts) => `a${parts.map(([h, c]) => h + c).join('')}`),
  fc.integer({ min: 55, max: 70 }).map((n) => 'a'.repeat(n)),
);

describe('isSageMakerName agrees with botocore\'s SageMaker model', () => {
  test('the model is what the library assumes: one pattern and 63 characters for every checked name', () => {
    for (const shape of Object.values(MODEL)) {
      expect({ max: shape.max, pattern: shape.pattern }).toEqual({ max: 63, pattern: '[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}' });
    }
  });

  test.each(Object.keys(MODEL))('on generated names, for %s', (key) => {
    fc.assert(fc.property(names, (name) => isSageMakerName(name) === apiAccepts(MODEL[key], name)), { numRuns: 2000 });
  });

  test.each([
    ['a 63-character name', 'a'.repeat(63), true],
    ['a 64-character name', 'a'.repeat(64), false],
    ['a name of 64 characters that the pattern alone accepts, thanks to hyphens', `a${'-b'.repeat(31)}c`, false],
    ['hyphens inside', 'churn--model-2', true],
    ['a leading hyphen', '-churn', false],
    ['an underscore', 'churn_model', false],
    ['empty', '', false],
  ])('%s', (_what, name, expected) => {
    expect(isSageMakerName(name)).toBe(expected);
    expect(apiAccepts(MODEL['CreateEndpoint.EndpointName'], name)).toBe(expected);
  });

  test('accepts tokens, which SageMaker checks at deploy time', () => {
    expect(isSageMakerName(Lazy.string({ produce: () => 'x' }))).toBe(true);
  });
});

describe('the constructs check names with it', () => {
  test('ModelRegistry refuses a 64-character group name that the pattern alone would accept', () => {
    const name = `churn${'-a'.repeat(29)}x`;
    expect(name.length).toBe(64);
    expect(() => new ModelRegistry(testStack(), 'Registry', { modelPackageGroupName: name }))
      .toThrow(`'modelPackageGroupName' ('${name}') must be 1 to 63 letters, digits and hyphens`);
  });

  test('ModelRegistry accepts 63 characters', () => {
    expect(() => new ModelRegistry(testStack(), 'Registry', { modelPackageGroupName: `churn${'-a'.repeat(29)}` })).not.toThrow();
  });
});
