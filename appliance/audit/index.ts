export { AuditLog, type AuditDraft, type AuditHead, type AuditLogOptions, type ClockReading, type Unshipped } from './log.js';
export { AuditShipper, type AuditShipperOptions } from './shipper.js';
export { commandLineActor, deviceNamesFor, recordStandalone, type DeviceNames } from './standalone.js';
export {
  AUDIT_ACTIONS,
  ACTOR_KINDS,
  GENESIS_HASH,
  OBJECT_KINDS,
  OUTCOMES,
  auditEntry,
  auditEntryBody,
  entryHash,
  type AuditAction,
  type AuditEntry,
  type AuditEntryBody,
} from './entry.js';
export { checkpointOrigin, checkpointSchema, signCheckpoint, verifyCheckpoint, type Checkpoint, type CheckpointCheck } from './checkpoint.js';
export { MerkleFrontier, consistencyProof, inclusionProof, leafHash, rootOf, verifyConsistency, verifyInclusion } from './merkle.js';
export { auditMessage, openAuditMessage, sealAuditMessage, type AuditMessage, type AuditSealKeys } from './wire.js';
export { verifyChain, type ChainAnchor, type ChainProblem, type VerifyResult } from './verify.js';
export { DeviceAuditReader, readExport } from './source.js';
export { writeExport, csvField, type ExportFormat } from './export.js';
export { buildReport, type AuditReport } from './report.js';
export { renderReport } from './render.js';
export { parsePeriod, type Period } from './period.js';
