import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { throwUnscoped } from '../core/private/errors';
import { DataZone, IDataLake } from '../lake/data-lake';

/**
 * Where the drift detector reads its baseline: the JSON document that `mlops drift baseline`
 * or a pipeline's baseline step writes from the training data (`schemaVersion: 1`).
 */
export class DriftBaseline {
  /**
   * A baseline object in one zone of a data lake, encrypted with the lake's key.
   *
   * @param key the object key, e.g. 'churn/baseline/current.json'
   * @param zone the zone (default DataZone.ARTIFACTS)
   */
  public static fromDataLake(lake: IDataLake, key: string, zone: DataZone = DataZone.ARTIFACTS): DriftBaseline {
    return new DriftBaseline(lake.bucketFor(zone), key, lake.encryptionKey);
  }

  /**
   * A baseline object in any bucket.
   *
   * @param key the object key
   * @param encryptionKey the key that encrypts the object (default: the bucket's key, if it has one)
   */
  public static fromBucket(bucket: s3.IBucket, key: string, encryptionKey?: kms.IKey): DriftBaseline {
    return new DriftBaseline(bucket, key, encryptionKey ?? bucket.encryptionKey);
  }

  /** The bucket. */
  public readonly bucket: s3.IBucket;
  /** The object key. */
  public readonly key: string;
  /** The KMS key that encrypts the object, when there is one. */
  public readonly encryptionKey?: kms.IKey;

  private constructor(bucket: s3.IBucket, key: string, encryptionKey?: kms.IKey) {
    if (!Token.isUnresolved(key) && (key.length === 0 || key.startsWith('/') || key.endsWith('/') || key.includes('*'))) {
      throwUnscoped('DriftBaselineInvalid',
        `The baseline key ('${key}') must name one object, without a leading or trailing '/' or wildcards; use e.g. 'churn/baseline/current.json'`);
    }
    this.bucket = bucket;
    this.key = key;
    this.encryptionKey = encryptionKey;
  }

  /** Grants reading the baseline object (and decrypting it). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    this.encryptionKey?.grant(grantee, 'kms:Decrypt');
    return iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(this.key)] });
  }
}
