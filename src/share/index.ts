/** Share links: config + learner in a URL fragment. See codec.ts for the format. */
export {
  MAX_LINK_CHARS,
  SHARE_LIMITS,
  SHARE_PREFIX,
  SHARE_VERSION,
  ShareError,
  decodeShare,
  encodeShare,
  learnerStateBytes,
  shareUrl,
  type DecodedLearner,
  type DecodedShare,
  type EncodedShare,
  type ShareCodecOptions,
  type ShareConfig,
  type ShareErrorCode,
  type ShareLearnerSpec,
  type ShareNote,
  type SharePayload,
} from './codec';
export { crc32 } from './crc32';
export { STREAM_KINDS, sameCell, shareNoteSchema, type StreamKind } from './schema';
export { decodeBase64url, encodeBase64url } from './base64url';
export { dequantise, quantise, type QuantBits } from './quantise';
export {
  BENCHMARK_STATE_SEED,
  checkpointSharePayload,
  ruleSharePayload,
  shareCheckpoint,
  trainedStream,
  type CheckpointShareOptions,
  type ShareBits,
} from './checkpoint';
