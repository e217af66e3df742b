/** The runtime conformance suite on the process runtime. */
import { runtimeConformance } from './runtime-conformance.js';

runtimeConformance('process');
