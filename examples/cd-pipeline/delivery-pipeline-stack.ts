import { Duration, Environment, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as codestarconnections from 'aws-cdk-lib/aws-codestarconnections';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { MlStage } from './ml-stage';
import { acknowledgePipelineFindings } from './pipeline-findings';
import { ModelVersionCarryOver, NagFindings, PromotionMode } from '../../lib';

/**
 * Properties of a `DeliveryPipelineStack`.
 */
export interface DeliveryPipelineStackProps extends StackProps {
  /** The GitHub repository, `owner/name`. */
  readonly repository: string;
  /** The branch whose pushes deploy. */
  readonly branch: string;
  /**
   * An AWS CodeConnections (CodeStar) connection to GitHub.
   *
   * @default - a new connection, pending until a person authorizes it in the console
   */
  readonly connectionArn?: string;
  /** Where the staging stage deploys. */
  readonly staging: Environment;
  /** Where the production stage deploys. */
  readonly production: Environment;
}

/**
 * The pipeline: source, synth (`npm ci`, then `cdk synth` of this app), self-update, then
 * staging, a manual approval, and production. Every stage that holds a model version keeps it.
 */
export class DeliveryPipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  public readonly staging: MlStage;
  public readonly production: MlStage;

  constructor(scope: Construct, id: string, props: DeliveryPipelineStackProps) {
    super(scope, id, { description: 'cdk-mlops CD example: the pipeline that deploys the ML stack to staging and production', ...props });
    const connectionArn = props.connectionArn
      ?? new codestarconnections.CfnConnection(this, 'GitHub', { connectionName: 'cdk-mlops-github', providerType: 'GitHub' }).attrConnectionArn;

    const artifactBucket = this.artifactBucket();
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: 'cdk-mlops-delivery',
      pipelineType: codepipeline.PipelineType.V2,
      // Encrypted with a customer key, so stages may deploy to other accounts.
      artifactBucket,
      synth: new pipelines.ShellStep('Synth', {
        input: pipelines.CodePipelineSource.connection(props.repository, props.branch, { connectionArn }),
        commands: [
          'npm ci',
          'npx cdk synth --app "node -r ./test/helpers/swc-register.js examples/cd-pipeline/app.ts"',
        ],
      }),
    });

    this.staging = new MlStage(this, 'Staging', { env: props.staging, modelName: 'churn-staging', promotionMode: PromotionMode.AUTOMATIC });
    ModelVersionCarryOver.addStage(this.pipeline, this.staging);

    this.production = new MlStage(this, 'Production', { env: props.production, modelName: 'churn-prod', promotionMode: PromotionMode.MANUAL });
    ModelVersionCarryOver.addStage(this.pipeline, this.production, {
      pre: [new pipelines.ManualApprovalStep('PromoteToProduction', {
        comment: 'Staging is deployed: approve to deploy the same ML stack to production (its served model version stays as approved in its registry).',
      })],
    });
    this.pipeline.buildPipeline();
    acknowledgePipelineFindings(this.pipeline, artifactBucket.bucketArn);
  }

  /** Artifacts (templates, assets, the model versions read) under a customer key, with access logs. */
  private artifactBucket(): s3.Bucket {
    const logs = new s3.Bucket(this, 'ArtifactAccessLogs', {
      // S3 server access logging delivers only to buckets encrypted with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const bucket = new s3.Bucket(this, 'Artifacts', {
      encryptionKey: new kms.Key(this, 'ArtifactKey', { description: 'Encrypts the delivery pipeline\'s artifacts', enableKeyRotation: true }),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: logs,
      // Every run writes new artifacts; old ones only repeat what the repository rebuilds.
      lifecycleRules: [{ expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(7) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const replication = ['NIST.800.53.R5-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled'];
    NagFindings.acknowledge(bucket, replication, 'Pipeline artifacts are rebuilt from the source repository by every run; a replica would hold nothing that cannot be rebuilt.');
    NagFindings.acknowledge(logs, ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'HIPAA.Security-S3DefaultEncryptionKMS', 'PCI.DSS.321-S3DefaultEncryptionKMS'],
      'S3 server access logging can only deliver to buckets encrypted with SSE-S3, not SSE-KMS.');
    NagFindings.acknowledge(logs, replication,
      'Versioning and a retained bucket protect the access logs against deletion; cross-region replication is a disaster-recovery choice for the account owner.');
    return bucket;
  }
}
