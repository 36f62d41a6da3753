/**
 * Mistakes in wiring the serving stage, stopped at synth with the fix, and the values other
 * constructs read from an endpoint.
 */
import { Aws, CfnCondition, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { templateOf, testApp, testStack } from '../helpers/app';
import { MlInstanceType } from '../../lib/core/instance-type';
import { SageMakerImage } from '../../lib/core/sagemaker-image';
import { DataLake } from '../../lib/lake/data-lake';
import { ModelRegistry } from '../../lib/registry/model-registry';
import { InferenceDataLocation } from '../../lib/serving/inference-data-location';
import { ModelEndpoint } from '../../lib/serving/model-endpoint';
import { ModelSource } from '../../lib/serving/model-source';
import { ModelVersionParameter } from '../../lib/serving/model-version-parameter';

function servingStack(conditional: boolean) {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const modelVersion = new ModelVersionParameter(stack, 'Version', { registry: new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' }) });
  const endpoint = new ModelEndpoint(stack, 'Endpoint', {
    endpointName: 'churn', model: modelVersion.modelSource(), variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }],
  });
  if (conditional) modelVersion.serveOnlyWhenPromoted(endpoint);
  return { stack, lake, endpoint };
}

describe('an endpoint that serves a ModelVersionParameter', () => {
  test('fails at synth when it is not left out until a version is promoted, naming the fix', () => {
    const { stack } = servingStack(false);
    expect(() => templateOf(stack)).toThrow(/the endpoint at TestStack\/Endpoint serves ModelVersionParameter 'ModelVersionChurn' but is not left out while it is 'none'; call serveOnlyWhenPromoted\(endpoint\)/);
  });

  test('synthesizes when it is, with the condition on the endpoint', () => {
    const { stack } = servingStack(true);
    const [endpoint] = Object.values(templateOf(stack).findResources('AWS::SageMaker::Endpoint')) as any[];
    expect(endpoint.Condition).toMatch(/^VersionHasModel[A-F0-9]{8}$/);
  });
});

describe('ModelVersionParameter with a generated registry name', () => {
  test('describes the registry by its construct path, since a parameter description must be a literal', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry');
    new ModelVersionParameter(stack, 'Version', { registry, parameterName: 'ModelVersion' });
    const description = templateOf(stack).toJSON().Parameters.ModelVersion.Description;
    expect(description).toBe('Model package ARN served from registry TestStack/Registry; set by its promotion, not by hand');
  });
});

describe('ModelEndpoint.dataCaptureLocation', () => {
  test('carries the key SageMaker writes the capture with, when one is given', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const captureKey = new kms.Key(stack, 'CaptureKey', { enableKeyRotation: true });
    const location = InferenceDataLocation.fromDataLake(lake, 'churn-endpoint/');
    const endpoint = new ModelEndpoint(stack, 'Endpoint', {
      endpointName: 'churn', model: servingModel(lake), variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }],
      dataCapture: { location, encryptionKey: captureKey },
    });
    expect(endpoint.dataCaptureLocation?.encryptionKey).toBe(captureKey);
    expect(endpoint.dataCaptureLocation?.keyPrefix).toBe('churn-endpoint/');
    expect(endpoint.dataCaptureLocation?.bucket).toBe(lake.captureBucket);
  });

  test('is the location itself otherwise', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const location = InferenceDataLocation.fromDataLake(lake, 'churn-endpoint/');
    const endpoint = new ModelEndpoint(stack, 'Endpoint', {
      endpointName: 'churn', model: servingModel(lake), variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }], dataCapture: { location },
    });
    expect(endpoint.dataCaptureLocation).toBe(location);
    expect(endpoint.dataCaptureLocation?.encryptionKey).toBe(lake.encryptionKey);
  });
});

function servingModel(lake: DataLake): ModelSource {
  return ModelSource.fromArtifact(SageMakerImage.xgboost(), lake.artifactsBucket, 'churn/model.tar.gz');
}

describe('two endpoints with one name', () => {
  function endpointIn(stack: Stack, name: string): void {
    const lake = new DataLake(stack, 'Lake');
    new ModelEndpoint(stack, 'Endpoint', { endpointName: name, model: servingModel(lake), variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }] });
  }

  test('fail at synth in one account and region, naming both', () => {
    const app = testApp();
    endpointIn(new Stack(app, 'A', { env: { account: '123456789012', region: 'us-east-1' } }), 'churn');
    endpointIn(new Stack(app, 'B', { env: { account: '123456789012', region: 'us-east-1' } }), 'churn');
    expect(() => app.synth()).toThrow(/'endpointName' 'churn' is also the name of B\/Endpoint, in the same account and region; give each one its own name/);
  });

  test('fail when a stack may deploy anywhere (environment-agnostic)', () => {
    const app = testApp();
    endpointIn(new Stack(app, 'A'), 'churn');
    endpointIn(new Stack(app, 'B', { env: { account: '123456789012', region: 'us-east-1' } }), 'churn');
    expect(() => app.synth()).toThrow(/is also the name of/);
  });

  test('are fine in two regions', () => {
    const app = testApp();
    endpointIn(new Stack(app, 'A', { env: { account: '123456789012', region: 'us-east-1' } }), 'churn');
    endpointIn(new Stack(app, 'B', { env: { account: '123456789012', region: 'eu-west-1' } }), 'churn');
    expect(() => app.synth()).not.toThrow();
  });
});

describe('serveOnlyWhenPromoted and a condition of your own', () => {
  test('a resource with its own condition is created only when both hold', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const modelVersion = new ModelVersionParameter(stack, 'Version', { registry: new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' }) });
    const endpoint = new ModelEndpoint(stack, 'Endpoint', { endpointName: 'churn', model: servingModel(lake), variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }] });
    const production = new CfnCondition(stack, 'IsProduction', { expression: Fn.conditionEquals(Aws.ACCOUNT_ID, '123456789012') });
    (endpoint.node.defaultChild as CfnResource).cfnOptions.condition = production;
    modelVersion.serveOnlyWhenPromoted(endpoint);
    const template = templateOf(stack).toJSON();
    const [endpointResource] = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::SageMaker::Endpoint') as any[];
    const merged = template.Conditions[endpointResource.Condition];
    expect(merged).toEqual({ 'Fn::And': [{ Condition: 'IsProduction' }, { Condition: expect.stringMatching(/^VersionHasModel/) }] });
    // The other resources get the parameter's condition alone.
    const [config] = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::SageMaker::EndpointConfig') as any[];
    expect(config.Condition).toMatch(/^VersionHasModel/);
  });
});
