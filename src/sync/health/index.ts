/** The health module's public surface: Argo CD-style health per object and for an Application. */
export { assess, rollUp, type Health, type HealthStatus } from './health.js';
