/**
 * Manifest files to objects: multi-document YAML (`---`) and JSON (parsed as YAML, which it is, so
 * errors carry line and column too), `*List` kinds flattened into their items, each object with
 * the line it starts on. Checks what every object needs: apiVersion, kind and metadata.name.
 */
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { RenderError } from './errors.js';

/** An object and where it was written. */
export interface RenderedObject {
  object: KubeObject;
  source: { file: string; line: number };
}

/** Parses one manifest file; empty documents are skipped. */
export function parseManifests(file: string, text: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const { value, line, node, lineOf } of parseYamlDocuments(file, text)) {
    if (value === null || value === undefined) continue;
    const obj = checkObject(file, line, value);
    if (obj.kind!.endsWith('List') && Array.isArray(obj.items)) {
      const itemsNode: unknown = isMap(node) ? node.get('items', true) : undefined;
      const itemNodes = isSeq(itemsNode) ? (itemsNode.items as Node[]) : [];
      obj.items.forEach((item, i) => {
        const itemLine = lineOf(itemNodes[i]) ?? line;
        out.push({ object: checkObject(file, itemLine, item), source: { file, line: itemLine } });
      });
    } else out.push({ object: obj, source: { file, line } });
  }
  return out;
}

/** One parsed YAML document: its JSON value, the line it starts on and its root node. */
export interface ParsedDocument {
  value: unknown;
  line: number;
  node: unknown;
  /** the line a node of this document starts on */
  lineOf(node: unknown): number | undefined;
}

/** Parses multi-document YAML; a syntax error is a RenderError at the parser's line and column. */
export function parseYamlDocuments(file: string, text: string): ParsedDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  const lineOf = (node: unknown): number | undefined => {
    const start = (node as Node | undefined)?.range?.[0];
    return start === undefined ? undefined : lineCounter.linePos(start).line;
  };
  const out: ParsedDocument[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
      throw new RenderError({ file, line: pos.line, column: pos.col, message: `invalid YAML: ${err.message.split('\n')[0]}`, hint: 'fix the syntax at this position' });
    }
    const contents = doc.contents as Node | null;
    const start = contents?.range?.[0];
    out.push({ value: doc.toJSON(), line: start === undefined ? 1 : lineCounter.linePos(start).line, node: contents, lineOf });
  }
  return out;
}

function checkObject(file: string, line: number, value: unknown): KubeObject {
  const fail = (message: string, hint: string): never => {
    throw new RenderError({ file, line, message, hint });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`a manifest must be a mapping, got ${Array.isArray(value) ? 'a list' : typeof value}`, 'write one Kubernetes object per document');
  }
  const obj = value as KubeObject;
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') fail('object has no apiVersion', 'add apiVersion (e.g. v1, apps/v1)');
  if (typeof obj.kind !== 'string' || obj.kind === '') fail('object has no kind', 'add kind (e.g. Deployment)');
  if (obj.kind!.endsWith('List') && Array.isArray(obj.items)) return obj;
  const meta = obj.metadata;
  if (typeof meta !== 'object' || meta === null || typeof meta.name !== 'string' || meta.name === '') {
    fail(`${obj.kind} has no metadata.name`, 'add metadata.name (generateName cannot be synced from Git)');
  }
  return obj;
}
