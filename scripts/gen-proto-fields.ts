/**
 * Generates src/controlplane/api/protobuf/messages.json: the protobuf field tables the API server
 * needs to decode `application/vnd.kubernetes.protobuf` request bodies of the built-in kinds it serves.
 *
 * The source is Kubernetes' Go types (`types.go`), not `generated.proto`: the Go struct tags give the
 * field numbers and JSON names, and only the Go types say what the JSON would have been: pointer
 * fields keep explicit zeros, `omitempty` drops zero scalars, and embedded structs tagged
 * `json:",inline"` are separate messages on the wire but flattened in JSON (Volume.volumeSource,
 * Probe.handler, ...). `generated.proto` carries none of that.
 *
 * Usage: `npx tsx scripts/gen-proto-fields.ts <dir>`, where <dir> holds `api/<group>/<version>/types.go`
 * and `apimachinery/pkg/apis/meta/v1/types.go`, e.g. `staging/src/k8s.io` of a kubernetes checkout.
 * Files may be trimmed to their struct declarations: comments and non-struct code are ignored.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The served built-in kinds: `apiVersion`, the Go package (under <dir>/api) and the kinds. Left out:
 * admissionregistration.k8s.io/v1beta1 MutatingAdmissionPolicy(Binding), which no 1.32 client has a typed
 * (protobuf) client for, so they only arrive as JSON.
 */
const KINDS: Array<[apiVersion: string, pkg: string, kinds: string[]]> = [
  ['v1', 'core/v1', ['Namespace', 'Pod', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'ServiceAccount', 'Node', 'Event',
    'ReplicationController', 'PersistentVolume', 'PersistentVolumeClaim', 'ResourceQuota', 'LimitRange', 'Binding']],
  ['apps/v1', 'apps/v1', ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'ControllerRevision']],
  ['batch/v1', 'batch/v1', ['Job', 'CronJob']],
  ['coordination.k8s.io/v1', 'coordination/v1', ['Lease']],
  ['policy/v1', 'policy/v1', ['PodDisruptionBudget', 'Eviction']],
  ['rbac.authorization.k8s.io/v1', 'rbac/v1', ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']],
  ['admissionregistration.k8s.io/v1', 'admissionregistration/v1', ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
    'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']],
  ['scheduling.k8s.io/v1', 'scheduling/v1', ['PriorityClass']],
  ['events.k8s.io/v1', 'events/v1', ['Event']],
  ['discovery.k8s.io/v1', 'discovery/v1', ['EndpointSlice']],
  ['storage.k8s.io/v1', 'storage/v1', ['StorageClass']],
  ['autoscaling/v1', 'autoscaling/v1', ['Scale']],
  ['authorization.k8s.io/v1', 'authorization/v1', ['SelfSubjectAccessReview', 'SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview']],
  ['authentication.k8s.io/v1', 'authentication/v1', ['SelfSubjectReview', 'TokenReview', 'TokenRequest']],
];
/** Sent under the apiVersion of whatever is being deleted, so it is looked up by kind alone. */
const DELETE_OPTIONS = 'meta/v1.DeleteOptions';

/** Types whose wire form is not a plain message of their Go fields; the decoder knows each. */
const SPECIAL: Record<string, string> = {
  'meta/v1.Time': 'time',
  'meta/v1.MicroTime': 'microtime',
  'meta/v1.Duration': 'duration',
  'meta/v1.FieldsV1': 'fieldsv1',
  'resource.Quantity': 'quantity',
  'intstr.IntOrString': 'intorstring',
  'runtime.RawExtension': 'raw',
  'types.UID': 'string',
  'selection.Operator': 'string',
};
/** Import aliases assumed for files without an import block (trimmed transcriptions). */
const DEFAULT_ALIASES: Record<string, string> = {
  metav1: 'meta/v1',
  corev1: 'core/v1',
  apiv1: 'core/v1',
  v1: 'core/v1',
  resource: 'resource',
  intstr: 'intstr',
  runtime: 'runtime',
  types: 'types',
  selection: 'selection',
};

interface GoField {
  goType: string;
  json: string;
  omitempty: boolean;
  inline: boolean;
  num: number;
}
/** Where a declaration's type names resolve: its package and its file's import aliases. */
interface Scope {
  pkg: string;
  aliases: Record<string, string>;
}
type GoDecl = ({ struct: GoField[] } | { alias: string }) & { scope: Scope };

/** One field of a message in messages.json: [number, JSON name, type, flags]. */
type Field = [number, string, string, string];

const root = process.argv[2];
if (!root || !existsSync(root)) {
  console.error('usage: npx tsx scripts/gen-proto-fields.ts <dir with api/ and apimachinery/>');
  process.exit(2);
}
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'controlplane', 'api', 'protobuf', 'messages.json');

const decls = new Map<string, GoDecl>(); // "core/v1.Pod" → declaration
const pkgOf = (file: string): string => {
  const rel = relative(root, dirname(file)).split('\\').join('/');
  return rel === 'apimachinery/pkg/apis/meta/v1' ? 'meta/v1' : rel.slice('api/'.length);
};

/** The package id (as in messages.json names) of a Go import path. */
function pkgOfImport(path: string): string {
  if (path.startsWith('k8s.io/api/')) return path.slice('k8s.io/api/'.length);
  if (path === 'k8s.io/apimachinery/pkg/apis/meta/v1') return 'meta/v1';
  return path.slice(path.lastIndexOf('/') + 1); // resource, intstr, runtime, types, selection
}

function* typesFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* typesFiles(path);
    else if (entry.name === 'types.go') yield path;
  }
}

function parseFile(file: string): void {
  const raw = readFileSync(file, 'utf8');
  const importBlock = /^import\s*\(([\s\S]*?)^\)/m.exec(raw)?.[1] ?? /^import\s+(.*)$/m.exec(raw)?.[1];
  const aliases = importBlock ? {} as Record<string, string> : DEFAULT_ALIASES;
  for (const m of (importBlock ?? '').matchAll(/^\s*(\w+)?\s*"([^"]+)"/gm)) {
    aliases[m[1] ?? m[2].slice(m[2].lastIndexOf('/') + 1)] = pkgOfImport(m[2]);
  }
  const scope: Scope = { pkg: pkgOf(file), aliases };
  const text = raw
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, ''))
    .join('\n')
    .replace(/^\s*\/\*[\s\S]*?\*\//gm, '');
  for (const m of text.matchAll(/^type\s+(\w+)\s+struct\s*\{([\s\S]*?)^\}/gm)) {
    const fields: GoField[] = [];
    for (const line of m[2].split('\n')) {
      const f = /^\s*(?:(\w+)\s+)?([\w.*[\]]+)\s+`([^`]*)`\s*$/.exec(line);
      if (!f) continue;
      const tag = f[3];
      const proto = /protobuf:"(\w+),(\d+)/.exec(tag);
      if (!proto) continue; // TypeMeta and other fields not on the wire
      const json = /json:"([^"]*)"/.exec(tag)?.[1] ?? '';
      const [name, ...opts] = json.split(',');
      if (name === '-') continue;
      fields.push({ goType: f[2], json: name, omitempty: opts.includes('omitempty'), inline: name === '' && opts.includes('inline'), num: Number(proto[2]) });
    }
    decls.set(`${scope.pkg}.${m[1]}`, { struct: fields, scope });
  }
  for (const m of text.matchAll(/^type\s+(\w+)\s+=?\s*([\w.*[\]]+)\s*$/gm)) decls.set(`${scope.pkg}.${m[1]}`, { alias: m[2], scope });
}

/** Qualifies a Go type name as written in `scope`. */
function qualify(name: string, scope: Scope): string {
  const dot = name.indexOf('.');
  if (dot < 0) return `${scope.pkg}.${name}`;
  const alias = name.slice(0, dot);
  const target = scope.aliases[alias];
  if (!target) throw new Error(`unknown import alias ${alias} in ${scope.pkg}`);
  return `${target}.${name.slice(dot + 1)}`;
}

const messages: Record<string, Field[]> = {};
const assumedStrings = new Set<string>();
const queue: string[] = [];
const seen = new Set<string>();

/** The table type of a Go (element) type: a scalar or special name, or a message to emit. */
function typeOf(goType: string, scope: Scope): string {
  if (goType === 'string') return 'string';
  if (goType === 'bool') return 'bool';
  if (/^u?int(8|16|32|64)?$/.test(goType)) return 'int';
  if (goType === '[]byte') return 'bytes';
  if (goType.startsWith('float')) throw new Error(`${scope.pkg}: floating-point fields are not supported`);
  const q = qualify(goType, scope);
  if (SPECIAL[q]) return SPECIAL[q];
  const decl = decls.get(q);
  if (!decl) {
    assumedStrings.add(q); // enum-like `type X string` declarations are not transcribed
    return 'string';
  }
  if ('struct' in decl) {
    if (!seen.has(q)) {
      seen.add(q);
      queue.push(q);
    }
    return q;
  }
  if (decl.alias === '[]string') return 'stringlist'; // authentication/authorization ExtraValue: {1: repeated items}
  if (/^(\[\]|map\[|\*)/.test(decl.alias)) throw new Error(`${q}: named ${decl.alias} is only supported as a field's map type`);
  return typeOf(decl.alias, decl.scope);
}

/** Flags: r repeated, m map (type is the value's), k keep zero scalars (pointer or not omitempty), i inline. */
function fieldOf(f: GoField, scope: Scope): Field {
  let goType = f.goType;
  let typeScope = scope;
  if (/^\w+(\.\w+)?$/.test(goType)) {
    const decl = decls.get(qualify(goType, scope));
    if (decl && 'alias' in decl && decl.alias.startsWith('map[')) {
      goType = decl.alias; // ResourceList
      typeScope = decl.scope;
    }
  }
  let flags = '';
  if (goType.startsWith('*')) {
    flags += 'k';
    goType = goType.slice(1);
  } else if (!f.omitempty) {
    flags += 'k';
  }
  const map = /^map\[[\w.]+\](.+)$/.exec(goType);
  if (map) {
    flags += 'm';
    goType = map[1];
  } else if (goType.startsWith('[]') && goType !== '[]byte') {
    flags += 'r';
    goType = goType.slice(2);
  }
  if (f.inline) flags += 'i';
  return [f.num, f.json, typeOf(goType, typeScope), flags];
}

for (const dir of ['api', 'apimachinery/pkg/apis/meta/v1']) for (const file of typesFiles(join(root, dir))) parseFile(file);

const kinds: Record<string, string> = {};
for (const [apiVersion, pkg, names] of KINDS) {
  for (const name of names) {
    const q = `${pkg}.${name}`;
    if (!decls.has(q)) throw new Error(`no struct ${q} under ${root}`);
    kinds[`${apiVersion} ${name}`] = typeOf(name, decls.get(q)!.scope);
  }
}
if (!decls.has(DELETE_OPTIONS)) throw new Error(`no struct ${DELETE_OPTIONS} under ${root}`);
kinds.DeleteOptions = typeOf('DeleteOptions', decls.get(DELETE_OPTIONS)!.scope);

while (queue.length) {
  const q = queue.shift()!;
  const decl = decls.get(q)!;
  if (!('struct' in decl)) continue;
  messages[q] = decl.struct.map((f) => fieldOf(f, decl.scope)).sort((a, b) => a[0] - b[0]);
}

const lines = Object.keys(messages)
  .sort()
  .map((q) => `${JSON.stringify(q)}:${JSON.stringify(messages[q])}`);
writeFileSync(out, `{"kinds":${JSON.stringify(kinds)},\n"messages":{\n${lines.join(',\n')}\n}}\n`);
console.log(`${lines.length} messages for ${Object.keys(kinds).length} kinds → ${relative(process.cwd(), out)}`);
console.log(`named types taken as strings: ${[...assumedStrings].sort().join(' ')}`);
