import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { throwInvalid } from '../core/private/errors';
import { IModelEndpoint } from '../serving/model-endpoint';

/** CloudWatch's dashboard quotas (CloudWatch service quotas): widgets per dashboard, metrics per dashboard. */
const DASHBOARD_QUOTAS = { widgets: 500, metrics: 2500 };
/** One header widget, then one graph of `METRICS_PER_MODEL` metrics per model. */
const METRICS_PER_MODEL = 4;
export const MAX_DASHBOARD_MODELS = Math.min(DASHBOARD_QUOTAS.widgets - 1, Math.floor(DASHBOARD_QUOTAS.metrics / METRICS_PER_MODEL));
const WIDTH = 24;
/** Three models to a line. */
const COLUMNS = 3;
const CELL_WIDTH = WIDTH / COLUMNS;
const CELL_HEIGHT = 6;

/** What the overview shows of one model. */
export interface FleetDashboardModel {
  readonly modelName: string;
  readonly endpoint: IModelEndpoint;
  readonly variantName: string;
  /** The name of the pipeline's state machine. */
  readonly pipelineName: string;
}

/**
 * One dashboard for the whole fleet: per model a graph of requests, 5XX errors and failed
 * pipeline runs, with the model latency (p90) on the right axis. It lives in the shared stack,
 * which every model stack imports from, so it names each model's resources by their literal
 * names (the state machine's ARN built in this stack from its name), never by a reference that
 * would make the shared stack import from a model stack: a cycle.
 */
export class FleetDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly grid = new Grid();
  private readonly period: Duration;
  private models = 0;

  constructor(scope: Construct, id: string, props: { readonly dashboardName?: string; readonly title: string; readonly period?: Duration }) {
    super(scope, id);
    this.period = props.period ?? Duration.minutes(5);
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(new cloudwatch.TextWidget({
      markdown: `# ${props.title}\nPer model: requests, 5XX errors and failed pipeline runs (left), model latency p90 in microseconds (right).`,
      width: WIDTH,
      height: 2,
    }));
    this.dashboard.addWidgets(this.grid);
  }

  public addModel(model: FleetDashboardModel): void {
    const { endpointName } = model.endpoint;
    for (const [what, value] of [['endpoint name', endpointName], ['variant name', model.variantName], ['pipeline name', model.pipelineName]]) {
      if (Token.isUnresolved(value)) {
        throwInvalid(this, 'FleetDashboardName',
          `the fleet dashboard names model '${model.modelName}' by its ${what}, which is a deploy-time value here; give the model literal names `
          + '(a reference would make the shared stack import from the model stack, which imports from it: a cycle)');
      }
    }
    if (this.models >= MAX_DASHBOARD_MODELS) {
      throwInvalid(this, 'FleetDashboardFull',
        `the fleet dashboard holds at most ${MAX_DASHBOARD_MODELS} models (CloudWatch allows ${DASHBOARD_QUOTAS.widgets} widgets and `
        + `${DASHBOARD_QUOTAS.metrics} metrics per dashboard, this one uses 1 widget and ${METRICS_PER_MODEL} metrics per model); `
        + `model '${model.modelName}' is one too many: split the models over two fleets`);
    }
    this.models++;
    const period = this.period;
    const v = { variantName: model.variantName, period };
    const stateMachineArn = Stack.of(this).formatArn({
      service: 'states', resource: 'stateMachine', resourceName: model.pipelineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.grid.add(new cloudwatch.GraphWidget({
      title: model.modelName,
      width: CELL_WIDTH,
      height: CELL_HEIGHT,
      left: [
        model.endpoint.metricInvocations({ ...v, label: 'requests' }),
        model.endpoint.metricInvocation5XXErrors({ ...v, label: '5XX errors' }),
        new cloudwatch.Metric({
          namespace: 'AWS/States', metricName: 'ExecutionsFailed', dimensionsMap: { StateMachineArn: stateMachineArn },
          statistic: 'Sum', period, label: 'failed runs',
        }),
      ],
      right: [model.endpoint.metricModelLatency({ ...v, statistic: 'p90', label: 'latency p90' })],
    }));
  }
}

/**
 * One cell per model, three to a line, laid out when the dashboard renders (after the last model
 * is added). CloudWatch's own Row places a widget added after construction below the whole row.
 */
class Grid implements cloudwatch.IWidget {
  public readonly width = WIDTH;
  private readonly cells: cloudwatch.IWidget[] = [];
  private x = 0;
  private y = 0;

  public get height(): number {
    return Math.ceil(this.cells.length / COLUMNS) * CELL_HEIGHT;
  }

  public add(cell: cloudwatch.IWidget): void {
    this.cells.push(cell);
  }

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  public toJson(): any[] {
    this.cells.forEach((cell, i) => cell.position(this.x + (i % COLUMNS) * CELL_WIDTH, this.y + Math.floor(i / COLUMNS) * CELL_HEIGHT));
    return this.cells.flatMap((cell) => cell.toJson());
  }
}
