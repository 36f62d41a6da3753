import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { IModelRegistry, ModelApprovalStatus } from './model-registry';
import { MlInstanceType } from '../core/instance-type';
import { renderMap } from '../core/private/sagemaker-api';
import { SageMakerImage } from '../core/sagemaker-image';

/**
 * Properties of a `RegisterModelPackageTask`.
 */
export interface RegisterModelPackageTaskProps extends sfn.TaskStateBaseProps {
  /** The registry (model package group) the new version joins. */
  readonly registry: IModelRegistry;

  /** The image that serves the model. */
  readonly inferenceImage: SageMakerImage;

  /** S3 URI of the model artifact (`model.tar.gz`); usually a JSON path into the training result. */
  readonly modelDataUrl: string;

  /**
   * The approval status of the new version.
   *
   * @default ModelApprovalStatus.PENDING_MANUAL_APPROVAL
   */
  readonly approvalStatus?: ModelApprovalStatus;

  /**
   * Description of the version; may be a JSON path.
   *
   * @default - none
   */
  readonly modelPackageDescription?: string;

  /**
   * S3 URI of a model-quality report (JSON) shown with the version in the registry; may be a JSON path.
   *
   * @default - no model metrics
   */
  readonly modelQualityReportUri?: string;

  /**
   * Request content types the model accepts.
   *
   * @default ['text/csv']
   */
  readonly contentTypes?: string[];

  /**
   * Response MIME types the model returns.
   *
   * @default ['text/csv']
   */
  readonly responseMimeTypes?: string[];

  /**
   * Instance types the model may be deployed to for real-time inference.
   *
   * @default - any
   */
  readonly inferenceInstanceTypes?: MlInstanceType[];

  /**
   * Key-value metadata stored with the version (lineage, run manifest URI); values may be JSON paths.
   *
   * @default - none
   */
  readonly customerMetadata?: Record<string, string>;
}

/**
 * A Step Functions task that registers a model version in a SageMaker model registry
 * (`CreateModelPackage` through the AWS SDK integration, the only one Step Functions offers).
 * Its result holds `ModelPackageArn`.
 */
export class RegisterModelPackageTask extends tasks.CallAwsService {
  constructor(scope: Construct, id: string, props: RegisterModelPackageTaskProps) {
    // Registering pulls nothing: the role of the endpoint that serves the model gets pull access
    // where the model is deployed (ModelSource options), so no grant is made here.
    const image = props.inferenceImage.bind(scope);
    super(scope, id, {
      ...props,
      service: 'sagemaker',
      action: 'createModelPackage',
      iamAction: 'sagemaker:CreateModelPackage',
      iamResources: [props.registry.modelPackageGroupArn, props.registry.modelPackageArnPattern],
      parameters: {
        ModelPackageGroupName: props.registry.modelPackageGroupName,
        ModelApprovalStatus: props.approvalStatus ?? ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
        ModelPackageDescription: props.modelPackageDescription,
        InferenceSpecification: {
          Containers: [{ Image: image.imageUri, ModelDataUrl: props.modelDataUrl }],
          SupportedContentTypes: props.contentTypes ?? ['text/csv'],
          SupportedResponseMIMETypes: props.responseMimeTypes ?? ['text/csv'],
          SupportedRealtimeInferenceInstanceTypes: props.inferenceInstanceTypes?.map((t) => t.name),
        },
        ModelMetrics: props.modelQualityReportUri ? {
          ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: props.modelQualityReportUri } },
        } : undefined,
        CustomerMetadataProperties: renderMap(props.customerMetadata),
      },
    });
  }
}
