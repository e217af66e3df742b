/** The runtime conformance suite on the sim runtime. */
import { runtimeConformance } from './runtime-conformance.js';

runtimeConformance('sim');
