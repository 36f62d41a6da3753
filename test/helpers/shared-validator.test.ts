import { CfnResource, Stack } from 'aws-cdk-lib';
import { testApp } from './app';

/** Synthesizes one S3 bucket with `properties` under CDK's validator; the error message, or '' when clean. */
function validate(properties: Record<string, unknown>): string {
  const app = testApp();
  new CfnResource(new Stack(app, 'S'), 'Bucket', { type: 'AWS::S3::Bucket', properties });
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'true';
  try {
    app.synth();
    return '';
  } catch (error) {
    return String(error);
  } finally {
    process.env.CDK_VALIDATION = previous;
  }
}

describe('CDK\'s validator, shared by the test files of a worker (shared-validator.js)', () => {
  test('still reports what it finds, naming the property and the rule', () => {
    const message = validate({ NotAProperty: 1 });
    expect(message).toMatch(/ValidationFailed/);
    expect(message).toMatch(/'NotAProperty' was unexpected/);
    expect(message).toMatch(/CloudFormation-Validate::F3002/);
  });

  test('reports the same findings again from the engine it kept', () => {
    const first = validate({ BucketName: 'Not_Valid' }).replace(/\/\S+/g, '');
    const second = validate({ BucketName: 'Not_Valid' }).replace(/\/\S+/g, '');
    expect(first).toMatch(/BucketName: 'Not_Valid' does not match pattern/);
    expect(second).toBe(first);
  });

  test('passes a valid template', () => {
    expect(validate({ BucketName: 'a-valid-name' })).toBe('');
  });
});
