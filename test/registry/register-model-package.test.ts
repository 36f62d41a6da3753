/**
 * RegisterModelPackageTask on its own: the drift-check baseline goes where SageMaker's
 * CreateModelPackage keeps a data-quality baseline, and only when one is given.
 */
import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { testStack } from '../helpers/app';
import { ModelRegistry, RegisterModelPackageTask, SageMakerImage } from '../../lib';

function rendered(props: { driftBaselineUri?: string }): any {
  const stack: Stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
  const task = new RegisterModelPackageTask(stack, 'Register', {
    registry, inferenceImage: SageMakerImage.xgboost(), modelDataUrl: 's3://b/model.tar.gz', ...props,
  });
  return stack.resolve((task.toStateJson() as any).Parameters);
}

describe('RegisterModelPackageTask drift-check baseline', () => {
  test('a baseline URI (a JSON path here) becomes the version\'s ModelDataQuality statistics', () => {
    expect(rendered({ driftBaselineUri: sfn.JsonPath.stringAt('$.baseline.uri') }).DriftCheckBaselines).toEqual({
      ModelDataQuality: { Statistics: { 'ContentType': 'application/json', 'S3Uri.$': '$.baseline.uri' } },
    });
    expect(rendered({ driftBaselineUri: 's3://b/baseline.json' }).DriftCheckBaselines.ModelDataQuality.Statistics.S3Uri).toBe('s3://b/baseline.json');
  });

  test('without one, the request has no DriftCheckBaselines', () => {
    expect(rendered({})).not.toHaveProperty('DriftCheckBaselines');
  });
});
