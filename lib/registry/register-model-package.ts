import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { IModelRegistry, ModelApprovalStatus } from './model-registry';
import { MlInstanceType } from '../core/instance-type';
import { PropsValidator } from '../core/private/errors';
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
   * S3 URI of the drift baseline of the model's training data (JSON, `cdk-mlops/drift-baseline`),
   * stored as the version's data-quality drift-check baseline (`DriftCheckBaselines`); may be a
   * JSON path. A served version so always names the baseline of its own training data.
   *
   * @default - no drift-check baseline
   */
  readonly driftBaselineUri?: string;

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
    validateCustomerMetadata(scope, id, props.customerMetadata ?? {});
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
        DriftCheckBaselines: props.driftBaselineUri ? {
          ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: props.driftBaselineUri } },
        } : undefined,
        CustomerMetadataProperties: renderMap(props.customerMetadata),
      },
    });
  }
}

/** CreateModelPackage's limits on CustomerMetadataProperties (the API model): 50 entries, keys 1-128, values 1-256 characters. */
const METADATA = { entries: 50, key: 128, value: 256, pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u };

/** Checks the literal keys and values; JSON paths and tokens are only known when the task runs. */
function validateCustomerMetadata(scope: Construct, id: string, metadata: Record<string, string>): void {
  const v = new PropsValidator(scope, 'RegisterModelPackageTaskInvalidProps');
  const entries = Object.entries(metadata);
  v.check(entries.length > METADATA.entries,
    `'customerMetadata' of '${id}' has ${entries.length} entries; SageMaker allows at most ${METADATA.entries} per model package`);
  for (const [key, value] of entries) {
    v.checkResolved([key], () => key.length < 1 || key.length > METADATA.key || !METADATA.pattern.test(key),
      `'customerMetadata' key '${key}' of '${id}' must be 1 to ${METADATA.key} letters, digits, spaces or _.:/=+-@`);
    const literal = !value.startsWith('$') && !sfn.JsonPath.isEncodedJsonPath(value);
    v.checkResolved([value], () => literal && (value.length < 1 || value.length > METADATA.value || !METADATA.pattern.test(value)),
      `'customerMetadata' value of '${key}' of '${id}' ('${value.slice(0, 40)}') must be 1 to ${METADATA.value} letters, digits, spaces or _.:/=+-@`);
  }
  v.throwIfInvalid();
}
