import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StateTimeline } from '@grafana/grafana-foundation-sdk/statetimeline';
import { BILLABLE_KINDS, increase, rate, ratio, sel, sum } from '../promql.js';
import { bars, PROMETHEUS, stat, table, timeseries, Unit } from '../panels.js';
import type { DashboardSpec } from '../spec.js';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';

/** Per upstream account: what it carried, what it cost, whether it can work, how close to its limits. */
export const accounts: DashboardSpec = {
  uid: 'tollgate-accounts',
  file: 'accounts.json',
  title: 'Tollgate / Accounts and quota',
  description: 'Per account: tokens, cost, availability, rate limits and quota windows.',
  content: () => [
    { row: 'Usage per account' },
    timeseries(
      'Billable tokens/s by account',
      Unit.tokensPerSecond,
      [{ expr: sum(rate('tokens', BILLABLE_KINDS), ['account']), legend: '{{account}}' }],
      { stacked: true, width: 8 },
    ),
    table(
      'Tokens over the range by account and kind',
      Unit.tokens,
      [{ expr: sum(increase('tokens'), ['account', 'token_kind']) }],
      { width: 8 },
    ),
    bars('Estimated cost over the range by account', Unit.usd, [
      { expr: sum(increase('costUsd'), ['account']), legend: '{{account}}' },
    ]),
    table(
      'Requests over the range by account and outcome',
      Unit.requests,
      [{ expr: sum(increase('requests'), ['account', 'outcome']) }],
      { width: 12 },
    ),
    table(
      'Upstream attempts over the range by account and status',
      Unit.requests,
      [{ expr: sum(increase('attempts'), ['account', 'status_code']) }],
      { width: 12, description: '429 cools an account down; 401/403 disables it until a probe.' },
    ),

    { row: 'Availability and limits' },
    stat(
      'Accounts available / configured',
      Unit.accounts,
      [
        { expr: sum(sel('accountAvailable')), legend: 'available' },
        { expr: `count(${sel('accountAvailable')})`, legend: 'configured' },
      ],
      { width: 6, height: 8 },
    ),
    availability(),
    timeseries(
      'Rate limit remaining',
      Unit.ratio,
      [
        {
          expr: ratio(
            `max by (account, resource) (${sel('ratelimitRemaining')})`,
            `max by (account, resource) (${sel('ratelimitLimit')})`,
          ),
          legend: '{{account}} {{resource}}',
        },
      ],
      { width: 12, description: 'What the provider says is left of each limit, as a share.' },
    ),
    timeseries(
      'Rate limit resets in',
      Unit.seconds,
      [
        {
          expr: `max by (account, resource) (${sel('ratelimitReset')})`,
          legend: '{{account}} {{resource}}',
        },
      ],
      { width: 12 },
    ),
    timeseries(
      'Quota used per window',
      Unit.ratio,
      [
        {
          expr: `max by (account, window) (${sel('quotaUsed')})`,
          legend: '{{account}} {{window}}',
        },
      ],
      { width: 12, description: 'Share of each quota window used; alerts fire above 90%.' },
    )
      .max(1)
      .thresholds(
        new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
          { value: null, color: 'green' },
          { value: 0.9, color: 'red' },
        ]),
      )
      .thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
      ),
    timeseries(
      'Quota window resets in',
      Unit.seconds,
      [
        {
          expr: `max by (account, window) (${sel('quotaReset')})`,
          legend: '{{account}} {{window}}',
        },
      ],
      { width: 12 },
    ),
  ],
};

/** One band per account: green while it takes requests, red while cooling down or disabled. */
function availability(): StateTimeline {
  return new StateTimeline()
    .title('Availability by account')
    .description('Unavailable: cooling down after a 429, or disabled after a 401/403.')
    .datasource(PROMETHEUS)
    .unit(Unit.accounts)
    .height(8)
    .span(18)
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: {
          '0': { text: 'cooling down or disabled', color: 'red', index: 0 },
          '1': { text: 'available', color: 'green', index: 1 },
        },
      },
    ])
    .withTarget(
      new DataqueryBuilder()
        .datasource(PROMETHEUS)
        .expr(`max by (account) (${sel('accountAvailable')})`)
        .legendFormat('{{account}}')
        .range(),
    );
}
