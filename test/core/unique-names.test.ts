/**
 * The unique-name check compares a construct only with the constructs that registered with it
 * (not the whole app), so removing a construct from the tree after it registered must take it
 * out of the comparison, as a whole-tree search would.
 */
import { Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { requireUniqueName } from '../../lib/core/private/unique-names';
import { testApp } from '../helpers/app';

class Named extends Construct {
  constructor(scope: Construct, id: string, public readonly name: string) {
    super(scope, id);
    requireUniqueName(this, "'name'", (c: IConstruct) => (c instanceof Named ? c.name : undefined));
  }
}

const ENV = { account: '123456789012', region: 'us-east-1' };

describe('requireUniqueName', () => {
  test('two constructs with one name in one account and region fail synth, naming the other one', () => {
    const app = testApp();
    new Named(new Stack(app, 'A', { env: ENV }), 'X', 'churn');
    new Named(new Stack(app, 'B', { env: ENV }), 'X', 'churn');
    expect(() => app.synth()).toThrow(/'name' 'churn' is also the name of B\/X, in the same account and region; give each one its own name/);
  });

  test('a construct removed after it registered no longer clashes', () => {
    const app = testApp();
    new Named(new Stack(app, 'A', { env: ENV }), 'X', 'churn');
    const b = new Stack(app, 'B', { env: ENV });
    new Named(b, 'X', 'churn');
    expect(b.node.tryRemoveChild('X')).toBe(true);
    expect(() => app.synth()).not.toThrow();
  });

  test('a construct whose stack was removed no longer clashes', () => {
    const app = testApp();
    new Named(new Stack(app, 'A', { env: ENV }), 'X', 'churn');
    new Named(new Stack(app, 'B', { env: ENV }), 'X', 'churn');
    expect(app.node.tryRemoveChild('B')).toBe(true);
    expect(() => app.synth()).not.toThrow();
  });

  test('a construct added under the id of a removed one is compared again', () => {
    const app = testApp();
    new Named(new Stack(app, 'A', { env: ENV }), 'X', 'churn');
    const b = new Stack(app, 'B', { env: ENV });
    new Named(b, 'X', 'other');
    b.node.tryRemoveChild('X');
    new Named(b, 'X', 'churn');
    expect(() => app.synth()).toThrow(/is also the name of B\/X/);
  });

  test('other regions, other names and other apps do not clash', () => {
    const app = testApp();
    new Named(new Stack(app, 'A', { env: ENV }), 'X', 'churn');
    new Named(new Stack(app, 'B', { env: { ...ENV, region: 'eu-west-1' } }), 'X', 'churn');
    new Named(new Stack(app, 'C', { env: ENV }), 'X', 'other');
    new Named(new Stack(testApp(), 'D', { env: ENV }), 'X', 'churn');
    expect(() => app.synth()).not.toThrow();
  });

  test('a stack whose account and region are deploy-time values may deploy to the same place: it clashes', () => {
    const app = testApp();
    new Named(new Stack(app, 'A', { env: ENV }), 'X', 'churn');
    new Named(new Stack(app, 'E'), 'X', 'churn');
    expect(() => app.synth()).toThrow(/'name' 'churn' is also the name of/);
  });
});
