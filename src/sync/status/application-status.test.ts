/** An Application's notify annotations → where its statuses go (table), and a finished sync's status → state and description. */
import { describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus } from '../app/types.js';
import { finishedState, notifyAnnotationsOf, notifyConfig } from './application-status.js';

const app = (annotations: Record<string, string>, repoURL = 'https://github.com/acme/shop.git'): Application =>
  ({ apiVersion: 'berth.dev/v1alpha1', kind: 'Application', metadata: { name: 'web', namespace: 'team', annotations }, spec: { source: { repoURL }, destination: { namespace: 'shop' } } }) as Application;

describe('notifyConfig', () => {
  it.each<{ name: string; annotations: Record<string, string>; want: ReturnType<typeof notifyConfig> }>([
    { name: 'no url: no statuses', annotations: {}, want: undefined },
    {
      name: 'generic with defaults',
      annotations: { 'notify.berth.dev/url': 'http://hooks.example/x' },
      want: { target: { url: 'http://hooks.example/x', format: 'generic', repository: 'acme/shop' }, tokenSecret: undefined, context: 'berth/sync/team/web', targetUrl: undefined },
    },
    {
      name: 'github, repository from the repoURL, token Secret, context and link',
      annotations: { 'notify.berth.dev/url': 'https://api.github.com', 'notify.berth.dev/format': 'github', 'notify.berth.dev/token-secret': 'gh', 'notify.berth.dev/context': 'deploy/prod', 'notify.berth.dev/target-url': 'https://berth.example/web' },
      want: { target: { url: 'https://api.github.com', format: 'github', repository: 'acme/shop' }, tokenSecret: 'gh', context: 'deploy/prod', targetUrl: 'https://berth.example/web' },
    },
    {
      name: 'gitea, repository given',
      annotations: { 'notify.berth.dev/url': 'https://tea.example/api/v1', 'notify.berth.dev/format': 'gitea', 'notify.berth.dev/repository': 'org/app' },
      want: { target: { url: 'https://tea.example/api/v1', format: 'gitea', repository: 'org/app' }, tokenSecret: undefined, context: 'berth/sync/team/web', targetUrl: undefined },
    },
  ])('$name', ({ annotations, want }) => expect(notifyConfig(app(annotations))).toEqual(want));

  it.each([
    [{ 'notify.berth.dev/url': 'ftp://x' }, 'https://github.com/a/b', /notify\.berth\.dev\/url: "ftp:\/\/x" is not an http\(s\) URL/],
    [{ 'notify.berth.dev/url': 'http://x', 'notify.berth.dev/format': 'gitlab' }, 'https://github.com/a/b', /notify\.berth\.dev\/format: "gitlab" is not one of generic, github, gitea/],
    [{ 'notify.berth.dev/url': 'http://x', 'notify.berth.dev/format': 'github' }, '/srv/repos/demo.git', /notify\.berth\.dev\/repository: a github status needs owner\/repo/],
  ])('refuses %j (repo %s)', (annotations, repoURL, err) => expect(() => notifyConfig(app(annotations, repoURL))).toThrow(err));
});

describe('finishedState', () => {
  const cond = (status: 'True' | 'False', reason: string, message: string) => [{ type: 'Ready', status, reason, message, lastTransitionTime: '' }];
  it.each<{ name: string; status: ApplicationStatus; want: ReturnType<typeof finishedState> }>([
    { name: 'synced', status: { conditions: cond('True', 'Synced', 'applied revision abc1234'), health: { status: 'Healthy' } }, want: { state: 'success', description: 'applied revision abc1234; health Healthy' } },
    { name: 'a failed step', status: { conditions: cond('False', 'DryRunFailed', 'nothing applied: x') }, want: { state: 'failure', description: 'DryRunFailed: nothing applied: x' } },
    { name: 'prune blocked', status: { conditions: cond('False', 'PruneBlocked', 'over budget') }, want: { state: 'failure', description: 'PruneBlocked: over budget' } },
    { name: 'no condition', status: {}, want: { state: 'failure', description: 'Failed: the sync did not finish' } },
  ])('$name', ({ status, want }) => expect(finishedState(status)).toEqual(want));
});

describe('notifyAnnotationsOf', () => {
  it.each([
    [undefined, {}],
    [{ 'notify.berth.dev/url': 'http://x', 'notify.berth.dev/context': 'c', 'other.example/a': 'b', 'notify.berth.dev.evil/x': 'y' }, { 'notify.berth.dev/url': 'http://x', 'notify.berth.dev/context': 'c' }],
  ])('%j → %j', (annotations, want) => expect(notifyAnnotationsOf(annotations)).toEqual(want));
});
