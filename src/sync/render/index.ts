/** The render module's public surface: manifests from a tree of files, through an injected reader. */
export { render, type RenderOptions, type RenderResult } from './render.js';
export { RenderError } from './errors.js';
export { memoryReader, type FileEntry, type FileReader } from './reader.js';
export type { RenderedObject } from './documents.js';
