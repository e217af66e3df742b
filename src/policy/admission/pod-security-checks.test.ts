import { describe, expect, it } from 'vitest';
import { describeViolations, evaluate, type Level, type PodTemplate } from './pod-security-checks.js';

const c = (name: string, securityContext: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ name, securityContext, ...extra });
const pod = (spec: Record<string, unknown>, annotations?: Record<string, string>): PodTemplate => ({ metadata: { annotations }, spec: spec as PodTemplate['spec'] });
const RESTRICTED_OK = { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } };

describe('evaluate', () => {
  it('the documented restricted message for a bare pod', () => {
    expect(describeViolations(evaluate('restricted', pod({ containers: [{ name: 'nginx' }] })))).toBe(
      'allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it.each<[string, Level, PodTemplate, string]>([
    ['host namespaces', 'baseline', pod({ hostNetwork: true, hostPID: true, containers: [c('a')] }), 'host namespaces (hostNetwork=true, hostPID=true)'],
    ['privileged', 'baseline', pod({ containers: [c('a', { privileged: true }), c('b', { privileged: true })] }), 'privileged (containers "a", "b" must not set securityContext.privileged=true)'],
    ['added capabilities', 'baseline', pod({ containers: [c('a', { capabilities: { add: ['NET_ADMIN', 'CHOWN', 'SYS_TIME'] } })] }), 'non-default capabilities (container "a" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add)'],
    ['hostPath', 'baseline', pod({ containers: [c('a')], volumes: [{ name: 'root', hostPath: { path: '/' } }] }), 'hostPath volumes (volume "root")'],
    ['host ports', 'baseline', pod({ containers: [c('a', {}, { ports: [{ containerPort: 80, hostPort: 8080 }] })] }), 'hostPort (container "a" uses hostPort 8080)'],
    ['procMount', 'baseline', pod({ containers: [c('a', { procMount: 'Unmasked' })] }), 'procMount (container "a" must not set securityContext.procMount to "Unmasked")'],
    ['seccomp Unconfined', 'baseline', pod({ securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [c('a')] }), 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'],
    ['sysctls', 'baseline', pod({ securityContext: { sysctls: [{ name: 'kernel.msgmax' }, { name: 'net.ipv4.tcp_syncookies' }] }, containers: [c('a')] }), 'forbidden sysctls (kernel.msgmax)'],
    ['SELinux', 'baseline', pod({ containers: [c('a', { seLinuxOptions: { type: 'spc_t', user: 'root' } })] }), 'seLinuxOptions (container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)'],
    ['AppArmor annotation', 'baseline', pod({ containers: [c('a')] }, { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined' }), 'forbidden AppArmor profile (container.apparmor.security.beta.kubernetes.io/a="unconfined")'],
    ['hostProcess', 'baseline', pod({ containers: [c('a', { windowsOptions: { hostProcess: true } })] }), 'hostProcess (container "a" must not set securityContext.windowsOptions.hostProcess=true)'],
    ['restricted volume types replace hostPath', 'restricted', pod({ containers: [c('a', RESTRICTED_OK)], volumes: [{ name: 'root', hostPath: { path: '/' } }, { name: 'cfg', configMap: { name: 'x' } }] }), 'restricted volume types (volume "root" uses restricted volume type "hostPath")'],
    ['runAsUser 0 and explicit runAsNonRoot=false', 'restricted', pod({ securityContext: { runAsUser: 0 }, containers: [c('a', { ...RESTRICTED_OK, runAsNonRoot: false })] }), 'runAsNonRoot != true (container "a" must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0)'],
    ['capabilities beyond NET_BIND_SERVICE', 'restricted', pod({ containers: [c('a', { ...RESTRICTED_OK, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'CHOWN'] } })] }), 'unrestricted capabilities (container "a" must not include "CHOWN" in securityContext.capabilities.add)'],
  ])('%s', (_what, level, p, message) => {
    expect(describeViolations(evaluate(level, p))).toBe(message);
  });

  it('passes compliant pods, and privileged allows everything', () => {
    expect(evaluate('restricted', pod({ containers: [c('a', RESTRICTED_OK)], initContainers: [c('init', RESTRICTED_OK)], volumes: [{ name: 'd', emptyDir: {} }] }))).toEqual([]);
    expect(evaluate('restricted', pod({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost' } }, containers: [c('a', { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })] }))).toEqual([]);
    expect(evaluate('baseline', pod({ containers: [c('a')] }))).toEqual([]);
    expect(evaluate('privileged', pod({ hostNetwork: true, containers: [c('a', { privileged: true })] }))).toEqual([]);
  });
});
