import { Aws, Duration, IResource, RemovalPolicy, Resource, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PropsValidator, throwInvalid } from '../core/private/errors';
import { acknowledgeFindings } from '../core/private/nag';
import { grantObjectRead } from '../core/private/s3-grants';

/**
 * The zones of the data lake. Each zone is its own bucket, so access can be granted per zone.
 */
export enum DataZone {
  /** Data as it arrives from its sources. New objects here can start a training pipeline. */
  RAW = 'raw',
  /** Cleaned data and features, written by processing jobs. */
  CURATED = 'curated',
  /** Model artifacts, checkpoints, evaluation reports and run manifests. */
  ARTIFACTS = 'artifacts',
  /** Requests and responses captured by inference endpoints, read by drift monitoring. */
  CAPTURE = 'capture',
}

/**
 * Options for a rule that matches new objects in one zone of the lake.
 */
export interface ObjectCreatedRuleOptions extends events.OnEventOptions {
  /**
   * The zone whose new objects the rule matches.
   *
   * @default DataZone.RAW
   */
  readonly zone?: DataZone;

  /**
   * Only objects whose key starts with this prefix match.
   *
   * @default - every new object in the zone
   */
  readonly prefix?: string;
}

/**
 * A data lake: one bucket per zone, encrypted with one KMS key.
 */
export interface IDataLake extends IResource {
  /** The KMS key that encrypts every zone. */
  readonly encryptionKey: kms.IKey;
  /** Bucket of the raw zone. */
  readonly rawBucket: s3.IBucket;
  /** Bucket of the curated zone. */
  readonly curatedBucket: s3.IBucket;
  /** Bucket of the artifacts zone. */
  readonly artifactsBucket: s3.IBucket;
  /** Bucket of the capture zone. */
  readonly captureBucket: s3.IBucket;

  /** The bucket that holds a zone. */
  bucketFor(zone: DataZone): s3.IBucket;

  /**
   * Grants read access to objects in one zone, including decryption with the lake's key.
   * Listing is limited to the same keys (an `s3:prefix` condition on `s3:ListBucket`).
   *
   * @param objectsKeyPattern restricts the grant to matching keys (default '*')
   */
  grantRead(grantee: iam.IGrantable, zone: DataZone, objectsKeyPattern?: string): iam.Grant;

  /**
   * Grants adding objects (new versions) to one zone, including encryption with the lake's key.
   * Deleting is never granted: the lake keeps what it is given.
   *
   * @param objectsKeyPattern restricts the grant to matching keys (default '*')
   */
  grantWrite(grantee: iam.IGrantable, zone: DataZone, objectsKeyPattern?: string): iam.Grant;

  /**
   * Grants reading and adding objects in one zone (no deletes), including the lake's key.
   *
   * @param objectsKeyPattern restricts the grant to matching keys (default '*')
   */
  grantReadWrite(grantee: iam.IGrantable, zone: DataZone, objectsKeyPattern?: string): iam.Grant;

  /**
   * An EventBridge rule that matches objects created in a zone ("new data arrived").
   */
  onObjectCreated(id: string, options?: ObjectCreatedRuleOptions): events.Rule;

  /**
   * The EventBridge pattern of objects created in a zone, for rules made elsewhere.
   *
   * @param zone the zone (default DataZone.RAW)
   * @param prefix only keys with this prefix (default: every key)
   * @param suffix only keys with this suffix, e.g. a '_SUCCESS' marker (default: every key)
   */
  objectCreatedEventPattern(zone?: DataZone, prefix?: string, suffix?: string): events.EventPattern;
}

/**
 * Attributes of a data lake defined outside this stack.
 */
export interface DataLakeAttributes {
  /** Name of the raw zone's bucket. */
  readonly rawBucketName: string;
  /** Name of the curated zone's bucket. */
  readonly curatedBucketName: string;
  /** Name of the artifacts zone's bucket. */
  readonly artifactsBucketName: string;
  /** Name of the capture zone's bucket. */
  readonly captureBucketName: string;
  /** The KMS key that encrypts the buckets. */
  readonly encryptionKey: kms.IKey;
}

abstract class DataLakeBase extends Resource implements IDataLake {
  public abstract readonly encryptionKey: kms.IKey;
  public abstract readonly rawBucket: s3.IBucket;
  public abstract readonly curatedBucket: s3.IBucket;
  public abstract readonly artifactsBucket: s3.IBucket;
  public abstract readonly captureBucket: s3.IBucket;

  public bucketFor(zone: DataZone): s3.IBucket {
    switch (zone) {
      case DataZone.RAW: return this.rawBucket;
      case DataZone.CURATED: return this.curatedBucket;
      case DataZone.ARTIFACTS: return this.artifactsBucket;
      case DataZone.CAPTURE: return this.captureBucket;
    }
  }

  public grantRead(grantee: iam.IGrantable, zone: DataZone, objectsKeyPattern = '*'): iam.Grant {
    return grantObjectRead(grantee, this.bucketFor(zone), objectsKeyPattern, this.encryptionKey);
  }

  public grantWrite(grantee: iam.IGrantable, zone: DataZone, objectsKeyPattern = '*'): iam.Grant {
    return this.bucketFor(zone).grantPut(grantee, objectsKeyPattern);
  }

  public grantReadWrite(grantee: iam.IGrantable, zone: DataZone, objectsKeyPattern = '*'): iam.Grant {
    return this.grantRead(grantee, zone, objectsKeyPattern).combine(this.grantWrite(grantee, zone, objectsKeyPattern));
  }

  public onObjectCreated(id: string, options: ObjectCreatedRuleOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, {
      ruleName: options.ruleName,
      description: options.description ?? `New objects in ${options.zone ?? DataZone.RAW} zone of the data lake`,
      eventPattern: this.objectCreatedEventPattern(options.zone, options.prefix),
    });
    if (options.eventPattern) rule.addEventPattern(options.eventPattern);
    if (options.target) rule.addTarget(options.target);
    return rule;
  }

  public objectCreatedEventPattern(zone: DataZone = DataZone.RAW, prefix?: string, suffix?: string): events.EventPattern {
    // EventBridge matches one pattern per field: both ends together need a wildcard.
    const key = prefix && suffix ? { wildcard: `${prefix}*${suffix}` } : prefix ? { prefix } : suffix ? { suffix } : undefined;
    return {
      source: ['aws.s3'],
      detailType: ['Object Created'],
      detail: {
        bucket: { name: [this.bucketFor(zone).bucketName] },
        ...(key ? { object: { key: [key] } } : {}),
      },
    };
  }
}

/**
 * Properties of a `DataLake`.
 */
export interface DataLakeProps {
  /**
   * The KMS key that encrypts every zone.
   *
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Prefix of the bucket names: buckets are named `<prefix>-raw`, `<prefix>-curated`,
   * `<prefix>-artifacts`, `<prefix>-capture` and `<prefix>-access-logs`.
   * Lowercase letters, digits and hyphens, at most 51 characters. Bucket names are global:
   * include the account and region when the stack deploys to several.
   *
   * @default - CloudFormation generates unique names
   */
  readonly bucketNamePrefix?: string;

  /**
   * What happens to the buckets, the key and the Glue database when they leave the stack.
   * Only `RETAIN`, `RETAIN_ON_UPDATE_OR_DELETE` and `DESTROY` apply to buckets. Plain `RETAIN`
   * also keeps what a failed first create made, so a named bucket or Glue database then
   * blocks the retry.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE - data outlives the stack; only a create
   * that rolls back removes what it made
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Empty the buckets (every object version) when the stack is deleted, so that sandboxes
   * clean up completely. Requires `removalPolicy: RemovalPolicy.DESTROY`. Never use it for
   * data you want to keep: it deploys a custom resource that deletes all objects.
   *
   * @default false
   */
  readonly autoDeleteObjects?: boolean;

  /**
   * Delete noncurrent (overwritten or deleted) object versions after this long.
   * Whole days, at least 1 day.
   *
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * Move noncurrent object versions to S3 Standard-IA after this long: they are read only to
   * reproduce an old run. Whole days, at least 30 days (an S3 limit). Left out when the
   * versions expire less than 30 days later, since Standard-IA bills at least 30 days.
   *
   * @default Duration.days(30)
   */
  readonly noncurrentVersionTransitionAfter?: Duration;

  /**
   * Move current objects of the raw, curated and artifacts zones to S3 Standard-IA after this
   * long. Whole days, at least 30 days (an S3 limit). Every pipeline run re-reads its whole
   * input prefix and endpoints download their model at each scale-out, and Standard-IA bills
   * each read, so set this only for data that is rarely read again.
   *
   * @default - current objects of these zones stay in S3 Standard
   */
  readonly infrequentAccessTransitionAfter?: Duration;

  /**
   * Move current objects of the raw, curated and artifacts zones to S3 Glacier Instant
   * Retrieval after this long. Whole days, at least 1 day, and at least 30 days after
   * `infrequentAccessTransitionAfter` when both are set (an S3 limit). Reads cost more than
   * from Standard-IA.
   *
   * @default - current objects of these zones stay out of Glacier
   */
  readonly archiveTransitionAfter?: Duration;

  /**
   * Move captured inference data to S3 Standard-IA after this long: drift monitoring reads
   * recent capture, older capture is rarely read. Whole days, at least 30 days (an S3 limit).
   *
   * @default Duration.days(30)
   */
  readonly captureInfrequentAccessTransitionAfter?: Duration;

  /**
   * Move captured inference data to S3 Glacier Instant Retrieval after this long. Whole days,
   * at least 30 days after `captureInfrequentAccessTransitionAfter` (an S3 limit).
   *
   * @default Duration.days(180)
   */
  readonly captureArchiveTransitionAfter?: Duration;

  /**
   * Delete captured inference data after this long. Whole days, at least 1 day.
   * Only the capture zone expires: the other zones keep current objects forever.
   * Transitions at or after the expiration are left out (S3 rejects them).
   *
   * @default - captured data is kept
   */
  readonly captureExpiration?: Duration;

  /**
   * Delete server access logs after this long. Whole days, at least 1 day.
   *
   * @default Duration.days(365)
   */
  readonly accessLogsExpiration?: Duration;

  /**
   * Send S3 events of every zone to EventBridge, so that new data can start pipelines.
   *
   * @default true
   */
  readonly eventBridgeEnabled?: boolean;

  /**
   * Create a Glue database with this name located in the curated zone, so that curated
   * data can be catalogued and queried from Athena. Lowercase letters, digits and
   * underscores, at most 255 characters.
   *
   * @default - no Glue database
   */
  readonly glueDatabaseName?: string;
}

const ZONES = [DataZone.RAW, DataZone.CURATED, DataZone.ARTIFACTS, DataZone.CAPTURE];
const LONGEST_NAME_SUFFIX = '-access-logs';
const MAX_BUCKET_NAME_PREFIX = 63 - LONGEST_NAME_SUFFIX.length;
const BUCKET_REMOVAL_POLICIES = [RemovalPolicy.RETAIN, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, RemovalPolicy.DESTROY];

/**
 * An S3 data lake for machine learning: a zone bucket each for raw data, curated data,
 * model artifacts and inference capture, encrypted with one customer-managed KMS key,
 * versioned, TLS-only, private, with access logs, lifecycle rules and EventBridge events.
 *
 * Data is retained when the stack is deleted unless `removalPolicy` says otherwise.
 */
export class DataLake extends DataLakeBase {
  /**
   * Imports a data lake defined elsewhere.
   */
  public static fromDataLakeAttributes(scope: Construct, id: string, attrs: DataLakeAttributes): IDataLake {
    // Typed as required, but callers in other languages (or `as any`) can leave it out.
    if (!attrs.encryptionKey) {
      throwInvalid(scope, 'DataLakeImportInvalid',
        `'encryptionKey' is missing from the attributes of the imported data lake '${id}': every zone of a DataLake is encrypted with a customer key, `
        + "which jobs, endpoints and grants need; import it with kms.Key.fromKeyArn(scope, 'LakeKey', '<key ARN>'), or give the buckets to the constructs one by one if they use SSE-S3");
    }
    class Import extends DataLakeBase {
      public readonly encryptionKey = attrs.encryptionKey;
      public readonly rawBucket = this.importBucket('RawBucket', attrs.rawBucketName);
      public readonly curatedBucket = this.importBucket('CuratedBucket', attrs.curatedBucketName);
      public readonly artifactsBucket = this.importBucket('ArtifactsBucket', attrs.artifactsBucketName);
      public readonly captureBucket = this.importBucket('CaptureBucket', attrs.captureBucketName);

      private importBucket(bucketId: string, bucketName: string): s3.IBucket {
        return s3.Bucket.fromBucketAttributes(this, bucketId, { bucketName, encryptionKey: attrs.encryptionKey });
      }
    }
    return new Import(scope, id);
  }

  public readonly encryptionKey: kms.IKey;
  public readonly rawBucket: s3.IBucket;
  public readonly curatedBucket: s3.IBucket;
  public readonly artifactsBucket: s3.IBucket;
  public readonly captureBucket: s3.IBucket;
  /** The bucket that receives the server access logs of every zone, under `<zone>/`. */
  public readonly accessLogsBucket: s3.IBucket;
  /** Name of the Glue database over the curated zone, when one was requested. */
  public readonly glueDatabaseName?: string;

  private readonly removalPolicy: RemovalPolicy;
  private readonly retainedResources: Array<s3.Bucket | kms.Key | glue.CfnDatabase> = [];

  constructor(scope: Construct, id: string, props: DataLakeProps = {}) {
    super(scope, id);
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    const lifecycle = validateProps(this, props, this.removalPolicy);

    this.encryptionKey = props.encryptionKey ?? this.track(new kms.Key(this, 'Key', {
      description: `Encrypts the data lake ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: this.removalPolicy,
    }));

    const logs = this.createAccessLogsBucket(props, lifecycle);
    this.accessLogsBucket = logs;
    const zoneBuckets = ZONES.map((zone) => this.createZoneBucket(zone, props, lifecycle, logs));
    [this.rawBucket, this.curatedBucket, this.artifactsBucket, this.captureBucket] = zoneBuckets;

    if (props.glueDatabaseName) {
      const database = this.track(new glue.CfnDatabase(this, 'GlueDatabase', {
        catalogId: Aws.ACCOUNT_ID,
        // The primary identifier: without it, `--import-existing-resources` cannot adopt a
        // database kept by an earlier stack. Glue still takes the name from databaseInput.
        databaseName: props.glueDatabaseName,
        databaseInput: {
          name: props.glueDatabaseName,
          description: `Curated zone of the data lake ${this.node.path}`,
          locationUri: this.curatedBucket.s3UrlForObject(),
        },
      }));
      database.applyRemovalPolicy(this.removalPolicy);
      this.glueDatabaseName = props.glueDatabaseName;
    }
  }

  /**
   * Applies a removal policy to every bucket, the key (when the lake created it) and the Glue database.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.retainedResources.forEach((resource) => resource.applyRemovalPolicy(policy));
  }

  private track<T extends s3.Bucket | kms.Key | glue.CfnDatabase>(resource: T): T {
    this.retainedResources.push(resource);
    return resource;
  }

  /** What every bucket of the lake shares: private, TLS only, versioned, removed only on request. */
  private privateBucketProps(props: DataLakeProps): s3.BucketProps {
    return {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: this.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    };
  }

  private createZoneBucket(zone: DataZone, props: DataLakeProps, lifecycle: LifecycleDays, logs: s3.Bucket): s3.Bucket {
    const capture = zone === DataZone.CAPTURE;
    const expiration = capture ? lifecycle.captureExpiration : undefined;
    const transitions = [
      { storageClass: s3.StorageClass.INFREQUENT_ACCESS, days: capture ? lifecycle.captureInfrequentAccess : lifecycle.infrequentAccess },
      { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, days: capture ? lifecycle.captureArchive : lifecycle.archive },
    ]
      // S3 rejects transitions at or after the expiration of the same objects.
      .filter((t): t is { storageClass: s3.StorageClass; days: number } => t.days !== undefined && (expiration === undefined || t.days < expiration))
      .map((t) => ({ storageClass: t.storageClass, transitionAfter: Duration.days(t.days) }));
    const noncurrent = lifecycle.noncurrentVersionTransition;
    const bucket = this.track(new s3.Bucket(this, `${capitalize(zone)}Bucket`, {
      bucketName: props.bucketNamePrefix ? `${props.bucketNamePrefix}-${zone}` : undefined,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      ...this.privateBucketProps(props),
      lifecycleRules: [{
        id: 'tiering-and-noncurrent-versions',
        abortIncompleteMultipartUploadAfter: Duration.days(7),
        noncurrentVersionExpiration: Duration.days(lifecycle.noncurrentVersionExpiration),
        // Standard-IA bills at least 30 days: not worth it for versions that expire sooner.
        noncurrentVersionTransitions: noncurrent !== undefined && lifecycle.noncurrentVersionExpiration - noncurrent >= 30
          ? [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(noncurrent) }]
          : undefined,
        transitions: transitions.length > 0 ? transitions : undefined,
        expiration: expiration !== undefined ? Duration.days(expiration) : undefined,
      }],
    }));

    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    // Native properties instead of the L2 helpers: the L2 EventBridge switch deploys a
    // notifications custom resource, and the L2 access-log setting depends on feature flags.
    cfnBucket.loggingConfiguration = { destinationBucketName: logs.bucketName, logFilePrefix: `${zone}/` };
    logs.addToResourcePolicy(new iam.PolicyStatement({
      sid: `ServerAccessLogsFrom${capitalize(zone)}`,
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [logs.arnForObjects(`${zone}/*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      },
    }));
    if (props.eventBridgeEnabled ?? true) {
      cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    }
    acknowledgeFindings(bucket, [{ rules: REPLICATION_RULES, reason: this.replicationReason('data') }]);
    return bucket;
  }

  private createAccessLogsBucket(props: DataLakeProps, lifecycle: LifecycleDays): s3.Bucket {
    const bucket = this.track(new s3.Bucket(this, 'AccessLogsBucket', {
      bucketName: props.bucketNamePrefix ? `${props.bucketNamePrefix}${LONGEST_NAME_SUFFIX}` : undefined,
      // S3 server access logging delivers only to buckets encrypted with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      ...this.privateBucketProps(props),
      // No transitions: log objects are mostly under 128 KB, which S3 does not transition.
      lifecycleRules: [
        {
          id: 'expire-old-logs',
          expiration: Duration.days(lifecycle.accessLogsExpiration),
          noncurrentVersionExpiration: Duration.days(lifecycle.noncurrentVersionExpiration),
        },
        // S3 allows no delete-marker cleanup in a rule that expires after a number of days.
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
    }));
    acknowledgeFindings(bucket, [
      {
        rules: ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'HIPAA.Security-S3DefaultEncryptionKMS', 'PCI.DSS.321-S3DefaultEncryptionKMS'],
        reason: 'S3 server access logging can only deliver to buckets encrypted with SSE-S3, not SSE-KMS.',
      },
      { rules: REPLICATION_RULES, reason: this.replicationReason('access logs') },
    ]);
    return bucket;
  }

  /** Why not replicating is acceptable, true for this lake's removal policy. */
  private replicationReason(what: string): string {
    return this.removalPolicy === RemovalPolicy.DESTROY
      ? `A sandbox lake (removalPolicy DESTROY) deletes its ${what} with the stack; replicating what is meant to be thrown away protects nothing.`
      : `Versioning and a retained bucket protect the ${what} against deletion; cross-region replication is a disaster-recovery choice for the account owner.`;
  }
}

const REPLICATION_RULES = ['NIST.800.53.R5-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled'];

interface LifecycleDays {
  readonly noncurrentVersionExpiration: number;
  readonly noncurrentVersionTransition?: number;
  readonly infrequentAccess?: number;
  readonly archive?: number;
  readonly captureInfrequentAccess?: number;
  readonly captureArchive?: number;
  readonly captureExpiration?: number;
  readonly accessLogsExpiration: number;
}

/** Checks every prop at once and returns the lifecycle in whole days. */
function validateProps(scope: Construct, props: DataLakeProps, removalPolicy: RemovalPolicy): LifecycleDays {
  const v = new PropsValidator(scope, 'DataLakeInvalidProps');
  const prefix = props.bucketNamePrefix;
  if (prefix !== undefined && !Token.isUnresolved(prefix)) {
    v.check(!/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(prefix),
      `'bucketNamePrefix' ('${prefix}') may only hold lowercase letters, digits and hyphens, and must start and end with a letter or digit; use e.g. 'acme-ml-123456789012'`);
    v.check(prefix.length > MAX_BUCKET_NAME_PREFIX,
      `'bucketNamePrefix' ('${prefix}') is ${prefix.length} characters; at most ${MAX_BUCKET_NAME_PREFIX} fit, because the longest bucket name adds '${LONGEST_NAME_SUFFIX}' and S3 allows 63`);
    v.check(/^(xn--|sthree-|amzn-s3-demo-)/.test(prefix),
      `'bucketNamePrefix' ('${prefix}') starts with a prefix S3 reserves ('xn--', 'sthree-', 'amzn-s3-demo-'); choose another prefix`);
  }
  if (!BUCKET_REMOVAL_POLICIES.includes(removalPolicy)) {
    v.check(true, `'removalPolicy' (${removalPolicy}) does not apply to S3 buckets; use RemovalPolicy.RETAIN (the default), RETAIN_ON_UPDATE_OR_DELETE or DESTROY`);
  }
  v.check(props.autoDeleteObjects === true && removalPolicy !== RemovalPolicy.DESTROY,
    `'autoDeleteObjects' (true) requires 'removalPolicy: RemovalPolicy.DESTROY' (got ${removalPolicy}); set both for a sandbox, or neither to keep the data`);
  if (props.glueDatabaseName !== undefined && !Token.isUnresolved(props.glueDatabaseName)) {
    v.check(!/^[a-z0-9_]{1,255}$/.test(props.glueDatabaseName),
      `'glueDatabaseName' ('${props.glueDatabaseName}') may only hold lowercase letters, digits and underscores (1 to 255); use e.g. '${props.glueDatabaseName.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 255)}'`);
  }

  const days = (name: string, value: Duration | undefined, fallback: number | undefined, min: number): number | undefined => {
    if (value === undefined || value.isUnresolved()) return fallback;
    const d = value.toHours() / 24;
    v.check(!Number.isInteger(d), `'${name}' (${value.toHumanString()}) must be a whole number of days; use Duration.days(${Math.max(min, Math.ceil(d))})`);
    v.check(d < min, `'${name}' (${value.toHumanString()}) must be at least ${min} day${min === 1 ? '' : 's'}; use Duration.days(${min}) or more`);
    return d;
  };
  const lifecycle: LifecycleDays = {
    noncurrentVersionExpiration: days('noncurrentVersionExpiration', props.noncurrentVersionExpiration, 90, 1)!,
    noncurrentVersionTransition: days('noncurrentVersionTransitionAfter', props.noncurrentVersionTransitionAfter, 30, 30),
    infrequentAccess: days('infrequentAccessTransitionAfter', props.infrequentAccessTransitionAfter, undefined, 30),
    archive: days('archiveTransitionAfter', props.archiveTransitionAfter, undefined, 1),
    captureInfrequentAccess: days('captureInfrequentAccessTransitionAfter', props.captureInfrequentAccessTransitionAfter, 30, 30),
    captureArchive: days('captureArchiveTransitionAfter', props.captureArchiveTransitionAfter, 180, 1),
    captureExpiration: days('captureExpiration', props.captureExpiration, undefined, 1),
    accessLogsExpiration: days('accessLogsExpiration', props.accessLogsExpiration, 365, 1)!,
  };
  // Objects stay in Standard-IA at least 30 days before S3 moves them on to Glacier IR.
  const checkArchiveAfterIa = (iaName: string, ia: number | undefined, archiveName: string, archive: number | undefined) =>
    v.check(ia !== undefined && archive !== undefined && archive < ia + 30,
      `'${archiveName}' (${archive} days) must be at least 30 days after '${iaName}' (${ia} days), an S3 limit; use Duration.days(${(ia ?? 0) + 30}) or more`);
  checkArchiveAfterIa('infrequentAccessTransitionAfter', lifecycle.infrequentAccess, 'archiveTransitionAfter', lifecycle.archive);
  checkArchiveAfterIa('captureInfrequentAccessTransitionAfter', lifecycle.captureInfrequentAccess, 'captureArchiveTransitionAfter', lifecycle.captureArchive);
  v.throwIfInvalid();
  return lifecycle;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
