/** rbac.authorization.k8s.io/v1: roles, cluster roles and their bindings (names are path segments). */
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { defaultBinding } from '../defaults/cluster.js';
import { roleBindingPrinter, rolePrinter } from '../tables/cluster.js';
import type { ResourceType } from '../types.js';
import { nameIsPathSegment } from '../validation/names.js';
import { validateBinding, validateBindingUpdate, validateRules } from '../validation/rbac.js';
import { as, defineKind } from './define.js';

const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1', nameValidator: nameIsPathSegment };

export const rbacKinds: ResourceType[] = [
  defineKind({ ...rbac, kind: 'Role', resource: 'roles', namespaced: true, printer: rolePrinter, validate: (obj) => validateRules(as<Role>(obj).rules, true) }),
  defineKind({ ...rbac, kind: 'ClusterRole', resource: 'clusterroles', namespaced: false, printer: rolePrinter, validate: (obj) => validateRules(as<ClusterRole>(obj).rules, false) }),
  defineKind({
    ...rbac,
    kind: 'RoleBinding',
    resource: 'rolebindings',
    namespaced: true,
    printer: roleBindingPrinter,
    defaults: defaultBinding,
    validate: (obj, old) => [...validateBinding(as<RoleBinding>(obj), false), ...(old ? validateBindingUpdate(as<RoleBinding>(obj), as<RoleBinding>(old)) : [])],
  }),
  defineKind({
    ...rbac,
    kind: 'ClusterRoleBinding',
    resource: 'clusterrolebindings',
    namespaced: false,
    printer: roleBindingPrinter,
    defaults: defaultBinding,
    validate: (obj, old) => [
      ...validateBinding(as<ClusterRoleBinding>(obj), true),
      ...(old ? validateBindingUpdate(as<ClusterRoleBinding>(obj), as<ClusterRoleBinding>(old)) : []),
    ],
  }),
];
