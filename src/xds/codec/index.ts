/** The xDS wire codec over proto/: resources, requests, responses (re-exports only). */
export {
  ANY_TYPE_KEY,
  contentVersion,
  createEncodedResource,
  encodeAny,
  encodeResource,
  toJson,
  type EncodedBytes,
} from './resource.js';
export {
  SotwRequestDecoder,
  decodeDeltaRequest,
  decodeSotwRequest,
  encodeDeltaRequest,
  encodeSotwRequest,
  slowDecodeSotwRequest,
} from './requests.js';
export {
  decodeDeltaResponse,
  decodeSotwResponse,
  encodeDeltaResponse,
  encodeSotwResponse,
  serializeSotwResponse,
  type DecodedDeltaResponse,
  type DecodedResource,
  type DecodedSotwResponse,
} from './responses.js';
export { PROTO_ENTRY_FILES, findPackageRoot, protoDir, protoRoot } from './proto-root.js';
