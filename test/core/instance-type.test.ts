import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CfnParameter, Errors, Lazy, Token } from 'aws-cdk-lib';
import { ROOT, testStack } from '../helpers/app';
import { InstanceUse, MlInstanceType } from '../../lib';
import { PropsValidator } from '../../lib/core/private/errors';
import { checkInstanceUse } from '../../lib/core/private/instance-use';

interface Expected {
  readonly family: string;
  readonly isGpu: boolean;
  readonly isNeuron: boolean;
  readonly isBurstable: boolean;
}

const gpu = (family: string): Expected => ({ family, isGpu: true, isNeuron: false, isBurstable: false });
const cpu = (family: string): Expected => ({ family, isGpu: false, isNeuron: false, isBurstable: false });

/** Every family the brief names, with one constant each and what the class must say about it. */
const FAMILIES: Array<[string, MlInstanceType, Expected]> = [
  ['ml.g4dn.xlarge', MlInstanceType.ML_G4DN_XLARGE, gpu('g4dn')],
  ['ml.g5.xlarge', MlInstanceType.ML_G5_XLARGE, gpu('g5')],
  ['ml.g6.xlarge', MlInstanceType.ML_G6_XLARGE, gpu('g6')],
  ['ml.g6e.xlarge', MlInstanceType.ML_G6E_XLARGE, gpu('g6e')],
  ['ml.p3.2xlarge', MlInstanceType.ML_P3_2XLARGE, gpu('p3')],
  ['ml.p4d.24xlarge', MlInstanceType.ML_P4D_24XLARGE, gpu('p4d')],
  ['ml.p5.48xlarge', MlInstanceType.ML_P5_48XLARGE, gpu('p5')],
  ['ml.inf2.xlarge', MlInstanceType.ML_INF2_XLARGE, { family: 'inf2', isGpu: false, isNeuron: true, isBurstable: false }],
  ['ml.m5.xlarge', MlInstanceType.ML_M5_XLARGE, cpu('m5')],
  ['ml.t3.medium', MlInstanceType.ML_T3_MEDIUM, { family: 't3', isGpu: false, isNeuron: false, isBurstable: true }],
  ['ml.c5.xlarge', MlInstanceType.ML_C5_XLARGE, cpu('c5')],
];

function describeType(type: MlInstanceType): Expected & { name: string; isUnresolved: boolean } {
  return {
    name: type.name,
    family: type.family,
    isGpu: type.isGpu,
    isNeuron: type.isNeuron,
    isBurstable: type.isBurstable,
    isUnresolved: type.isUnresolved,
  };
}

describe('MlInstanceType constants', () => {
  test.each(FAMILIES)('%s: the constant carries that name, its family and its accelerator kind', (name, constant, expected) => {
    expect(describeType(constant)).toEqual({ name, ...expected, isUnresolved: false });
  });

  test.each(FAMILIES)('%s: of() of the same name describes it the same way as the constant', (name, constant) => {
    expect(describeType(MlInstanceType.of(name))).toEqual(describeType(constant));
  });

  test('every constant is named ml.<family>.<size> after its own identifier', () => {
    const constants = Object.entries(MlInstanceType).filter(([, v]) => v instanceof MlInstanceType) as Array<[string, MlInstanceType]>;
    expect(constants.length).toBeGreaterThan(20);
    for (const [key, type] of constants) {
      // ML_G4DN_2XLARGE -> ml.g4dn.2xlarge
      const fromKey = key.toLowerCase().replace(/^ml_([a-z0-9]+)_([a-z0-9]+)$/, 'ml.$1.$2');
      expect([key, type.name]).toEqual([key, fromKey]);
    }
  });

  test('only the NVIDIA families are GPUs: no CPU constant says isGpu, no GPU constant says isNeuron', () => {
    const constants = Object.values(MlInstanceType).filter((v) => v instanceof MlInstanceType) as MlInstanceType[];
    const gpus = constants.filter((t) => t.isGpu).map((t) => t.family);
    expect(new Set(gpus)).toEqual(new Set(['g4dn', 'g5', 'g6', 'g6e', 'p3', 'p4d', 'p5']));
    expect(constants.filter((t) => t.isGpu && (t.isNeuron || t.isBurstable))).toEqual([]);
    expect(constants.filter((t) => t.isNeuron).map((t) => t.name)).toEqual(['ml.inf2.xlarge']);
    expect(constants.filter((t) => t.isBurstable).map((t) => t.name)).toEqual(['ml.t3.medium']);
  });

  test('toString() is the name, so the type can stand in a template string', () => {
    expect(`${MlInstanceType.ML_G5_2XLARGE}`).toBe('ml.g5.2xlarge');
  });
});

describe('MlInstanceType.of with names it has no constant for', () => {
  test.each([
    ['ml.p5e.48xlarge', gpu('p5e')],
    ['ml.p5en.48xlarge', gpu('p5en')],
    ['ml.g6e.12xlarge', gpu('g6e')],
    ['ml.g6e.48xlarge', gpu('g6e')],
    ['ml.p4de.24xlarge', gpu('p4de')],
    ['ml.p3dn.24xlarge', gpu('p3dn')],
    ['ml.trn1.32xlarge', { family: 'trn1', isGpu: false, isNeuron: true, isBurstable: false }],
    ['ml.trn1n.32xlarge', { family: 'trn1n', isGpu: false, isNeuron: true, isBurstable: false }],
    ['ml.trn2.48xlarge', { family: 'trn2', isGpu: false, isNeuron: true, isBurstable: false }],
    ['ml.inf1.xlarge', { family: 'inf1', isGpu: false, isNeuron: true, isBurstable: false }],
    ['ml.t2.medium', { family: 't2', isGpu: false, isNeuron: false, isBurstable: true }],
    ['ml.t3.2xlarge', { family: 't3', isGpu: false, isNeuron: false, isBurstable: true }],
    ['ml.c5n.18xlarge', cpu('c5n')],
    ['ml.m5d.24xlarge', cpu('m5d')],
    ['ml.r7i.large', cpu('r7i')],
  ])('accepts %s and classifies it', (name, expected) => {
    expect(describeType(MlInstanceType.of(name))).toEqual({ name, ...expected, isUnresolved: false });
  });

  test('a Trainium family is not taken for a burstable T family', () => {
    expect(MlInstanceType.of('ml.trn1.2xlarge').isBurstable).toBe(false);
  });

  // SageMaker's TrainingInstanceType enum lists ml.p6-b200.48xlarge (NVIDIA B200): a family with a hyphen.
  test('accepts ml.p6-b200.48xlarge, a SageMaker training instance type, and calls it a GPU', () => {
    const type = MlInstanceType.of('ml.p6-b200.48xlarge');
    expect(type.isGpu).toBe(true);
  });
});

describe('MlInstanceType.of with tokens', () => {
  test('accepts a CfnParameter and knows nothing about it at synth', () => {
    const stack = testStack();
    const param = new CfnParameter(stack, 'TrainingInstanceType', { default: 'ml.g5.xlarge' });
    const type = MlInstanceType.of(param.valueAsString);
    expect(type.isUnresolved).toBe(true);
    expect(type.family).toBe('');
    expect([type.isGpu, type.isNeuron, type.isBurstable]).toEqual([false, false, false]);
    expect(stack.resolve(type.name)).toEqual({ Ref: 'TrainingInstanceType' });
  });

  test('accepts a lazy string', () => {
    const type = MlInstanceType.of(Lazy.string({ produce: () => 'not even an instance type' }));
    expect(Token.isUnresolved(type.name)).toBe(true);
    expect(type.isUnresolved).toBe(true);
  });

  test('a concrete name is not unresolved', () => {
    expect(MlInstanceType.of('ml.g5.4xlarge').isUnresolved).toBe(false);
  });
});

describe('MlInstanceType.of with malformed names', () => {
  test.each([
    ['without the ml. prefix', 'g5.xlarge'],
    ['without a size', 'ml.g5'],
    ['with an upper-case family', 'ml.G5.xlarge'],
    ['with an unknown size', 'ml.g5.huge'],
    ['that is empty', ''],
    ['with an EC2-style prefix', 'ec2.g5.xlarge'],
    ['without a generation in the family', 'ml.g.xlarge'],
    ['with surrounding spaces', ' ml.g5.xlarge '],
    ['with a trailing dot', 'ml.g5.xlarge.'],
  ])('fails on a name %s, naming \'instanceType\' and the value', (_why, name) => {
    expect(() => MlInstanceType.of(name)).toThrow(`'instanceType' ('${name}') is not a SageMaker ML instance type`);
  });

  test('fails with the expected form and an example in the message', () => {
    expect(() => MlInstanceType.of('g5.xlarge')).toThrow(/use the form 'ml\.<family>\.<size>', e\.g\. 'ml\.g5\.xlarge'/);
  });

  test('fails with a CDK validation error named MlInstanceTypeInvalid', () => {
    let caught: unknown;
    try {
      MlInstanceType.of('ml.g5');
    } catch (error) {
      caught = error;
    }
    expect(Errors.isValidationError(caught)).toBe(true);
    expect((caught as Error).name).toBe('MlInstanceTypeInvalid');
  });
});

describe('the table of SageMaker instance types', () => {
  test('is what scripts/instance-type-table.py makes from the installed botocore SageMaker model (the API model AWS publishes)', () => {
    const generated = spawnSync('python3', [path.join(ROOT, 'scripts', 'instance-type-table.py'), '-'], { encoding: 'utf8' });
    expect(generated.stderr).toBe('');
    expect(generated.stdout).toBe(fs.readFileSync(path.join(ROOT, 'lib', 'core', 'private', 'instance-type-table.ts'), 'utf8'));
  });

  test.each([
    ['ml.p4d.24xlarg', /'instanceType' \('ml\.p4d\.24xlarg'\) is not a SageMaker ML instance type; use the form/, false],
    ['ml.g5.3xlarge', /the g5 family has ml\.g5\.xlarge, ml\.g5\.2xlarge, ml\.g5\.4xlarge, ml\.g5\.8xlarge, ml\.g5\.12xlarge, ml\.g5\.16xlarge, ml\.g5\.24xlarge, ml\.g5\.48xlarge\)/, true],
    ['ml.x9.xlarge', /no listed type has the family 'x9'/, true],
    ['ml.c7g.medium', /the c7g family has ml\.c7g\.large,/, true],
  ])('of() fails on %s, a type SageMaker does not have, with the fix', (name, detail, offersUnlisted) => {
    expect(() => MlInstanceType.of(name)).toThrow(detail);
    let message = '';
    try { MlInstanceType.of(name); } catch (error) { message = (error as Error).message; }
    expect(message.endsWith(`or use MlInstanceType.ofUnlisted('${name}') for a type newer than this library`)).toBe(offersUnlisted);
  });

  test.each([
    ['ml.c7g.medium', cpu('c7g')],
    ['ml.m7i.metal-48xl', cpu('m7i')],
    // A family the library does not know is not taken for a GPU: isGpu is for listed families.
    ['ml.p7.48xlarge', cpu('p7')],
  ])('ofUnlisted() takes %s, a name of the right form that the table lacks', (name, expected) => {
    const type = MlInstanceType.ofUnlisted(name);
    expect(describeType(type)).toEqual({ name, ...expected, isUnresolved: false });
    expect(type.isListed).toBe(false);
  });

  test('ofUnlisted() still checks the form', () => {
    expect(() => MlInstanceType.ofUnlisted('g5.xlarge')).toThrow(`'instanceType' ('g5.xlarge') is not a SageMaker ML instance type`);
  });

  test('every constant is listed', () => {
    const constants = Object.values(MlInstanceType).filter((v) => v instanceof MlInstanceType) as MlInstanceType[];
    expect(constants.filter((t) => !t.isListed).map((t) => t.name)).toEqual([]);
  });

  test.each([
    // Hosting lists t2 but not t3; training lists t3; Inferentia2 is for hosting and transform only.
    ['ml.t3.medium', { TRAINING: true, PROCESSING: true, HOSTING: false, TRANSFORM: false }],
    ['ml.inf2.xlarge', { TRAINING: false, PROCESSING: false, HOSTING: true, TRANSFORM: true }],
    ['ml.trn1.32xlarge', { TRAINING: true, PROCESSING: false, HOSTING: true, TRANSFORM: true }],
    ['ml.g5.xlarge', { TRAINING: true, PROCESSING: true, HOSTING: true, TRANSFORM: true }],
    ['ml.inf1.xlarge', { TRAINING: false, PROCESSING: false, HOSTING: true, TRANSFORM: false }],
  ])('supports() tells the uses SageMaker accepts %s for', (name, uses) => {
    const type = MlInstanceType.of(name);
    expect(Object.fromEntries(Object.values(InstanceUse).map((use) => [use, type.supports(use)]))).toEqual(uses);
  });

  test('supports() is true for what cannot be known at synth: tokens and unlisted types', () => {
    const token = MlInstanceType.of(new CfnParameter(testStack(), 'Type').valueAsString);
    for (const use of Object.values(InstanceUse)) {
      expect(token.supports(use)).toBe(true);
      expect(MlInstanceType.ofUnlisted('ml.p7.48xlarge').supports(use)).toBe(true);
    }
  });
});

describe('checkInstanceUse', () => {
  function problems(type: MlInstanceType, use: InstanceUse): string[] {
    const stack = testStack();
    const v = new PropsValidator(stack, 'Test');
    checkInstanceUse(v, 'training.instanceType', type, use);
    try { v.throwIfInvalid(); return []; } catch (error) { return [(error as Error).message]; }
  }

  test('names the property, the value, the uses it does have and a fix', () => {
    expect(problems(MlInstanceType.ML_INF2_XLARGE, InstanceUse.TRAINING)).toEqual([
      "'training.instanceType' (ml.inf2.xlarge) cannot run training jobs: SageMaker accepts it for endpoints, batch transform jobs only; choose a type listed for training jobs, e.g. ml.g5.xlarge or ml.m5.xlarge",
    ]);
  });

  test('accepts a type listed for the use, and what cannot be known at synth', () => {
    expect(problems(MlInstanceType.ML_G5_XLARGE, InstanceUse.HOSTING)).toEqual([]);
    expect(problems(MlInstanceType.ofUnlisted('ml.p7.48xlarge'), InstanceUse.TRAINING)).toEqual([]);
  });

  test('refuses t3 for hosting, which SageMaker lists only for jobs', () => {
    expect(problems(MlInstanceType.ML_T3_MEDIUM, InstanceUse.HOSTING)[0]).toMatch(/cannot run endpoints: SageMaker accepts it for training jobs, processing jobs only/);
  });
});
