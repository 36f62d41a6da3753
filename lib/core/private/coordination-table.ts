import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeFindings } from './nag';

/**
 * A DynamoDB table for state machines to coordinate through with conditional writes (locks,
 * counters, claims): keyed by `pk`, on demand, encrypted with `encryptionKey`, point-in-time
 * recovery on, and deleted with the stack, since what it holds is rebuilt by the next runs.
 *
 * @param holds what the items are, for the backup finding's reason, e.g. 'the retraining cooldown lock'
 */
export function coordinationTable(scope: Construct, id: string, encryptionKey: kms.IKey, holds: string): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  acknowledgeFindings(table, [{
    rules: ['NIST.800.53.R5-DynamoDBInBackupPlan', 'HIPAA.Security-DynamoDBInBackupPlan', 'PCI.DSS.321-DynamoDBInBackupPlan'],
    reason: `The table holds only ${holds}, which the next runs rebuild; nothing a user stored, and point-in-time recovery covers mistakes.`,
  }]);
  return table;
}
