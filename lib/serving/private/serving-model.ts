import { CfnDeletionPolicy, CfnResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct, IConstruct } from 'constructs';
import { renderMap } from '../../core/private/sagemaker-api';
import { ModelSourceConfig } from '../model-source';

/**
 * Keeps the replaced resource when CloudFormation replaces it, and deletes it with the stack.
 * CloudFormation deletes a replaced model or endpoint configuration once the stack update succeeds,
 * but SageMaker may have rolled the endpoint (or a component) back to it meanwhile (a rollback
 * alarm fired): it would then run on one that no longer exists, which it needs to scale, be patched
 * or be updated again. A kept one costs nothing.
 */
export function keepWhenReplaced(resource: CfnResource): void {
  resource.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  resource.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
}

/** What a served model runs with: the endpoint's role and network. */
export interface ServingModelProps {
  readonly role: iam.IRole;
  readonly model: ModelSourceConfig;
  readonly vpcConfig?: sagemaker.CfnModel.VpcConfigProperty;
  /** The policy that lets SageMaker attach network interfaces; the model waits for it. */
  readonly networkPolicy?: IConstruct;
  readonly enableNetworkIsolation?: boolean;
}

/**
 * The `AWS::SageMaker::Model` of an endpoint variant or an inference component: one container
 * from the bound source, kept when replaced, created after the role (SageMaker checks at
 * CreateModel that the role can read the model and pull the image) and the network policy.
 */
export function createServingModel(scope: Construct, id: string, props: ServingModelProps): sagemaker.CfnModel {
  const c = props.model;
  const model = new sagemaker.CfnModel(scope, id, {
    executionRoleArn: props.role.roleArn,
    primaryContainer: {
      image: c.imageUri,
      modelDataUrl: c.modelDataUrl,
      modelPackageName: c.modelPackageName,
      environment: renderMap(c.environment),
    },
    vpcConfig: props.vpcConfig,
    enableNetworkIsolation: props.enableNetworkIsolation,
  });
  keepWhenReplaced(model);
  model.node.addDependency(props.role);
  if (props.networkPolicy) model.node.addDependency(props.networkPolicy);
  return model;
}
