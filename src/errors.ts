/**
 * Every failure the runtime reports is one of these classes, each with a machine-readable `code`
 * so callers can branch without parsing messages.
 */
export class TwnError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A `.twn` file (or an in-memory graph) that breaks docs/FORMAT.md. `offset` is a byte offset, `path` a JSON path. */
export class TwnFormatError extends TwnError {
  readonly offset?: number;
  readonly path?: string;
  constructor(code: FormatErrorCode, message: string, where: { offset?: number; path?: string } = {}) {
    const at = where.path !== undefined ? ` (at ${where.path})` : where.offset !== undefined ? ` (at byte ${where.offset})` : '';
    super(code, message + at);
    this.offset = where.offset;
    this.path = where.path;
  }
}

export type FormatErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_HEADER_LENGTH'
  | 'RESERVED_NONZERO'
  | 'HEADER_NOT_UTF8'
  | 'HEADER_NOT_JSON'
  | 'DUPLICATE_KEY'
  | 'SCHEMA'
  | 'TOO_MANY_NODES'
  | 'TOO_MANY_TENSORS'
  | 'DATA_LENGTH_MISMATCH'
  | 'UNSUPPORTED_DTYPE'
  | 'TENSOR_SIZE_MISMATCH'
  | 'TENSOR_OUT_OF_BOUNDS'
  | 'TENSOR_MISALIGNED'
  | 'TENSOR_OVERLAP'
  | 'INVALID_TERNARY_CODE'
  | 'NON_FINITE_VALUE'
  | 'CHECKSUM_MISMATCH'
  | 'UNKNOWN_OP'
  | 'DUPLICATE_NAME'
  | 'UNDEFINED_INPUT'
  | 'UNUSED_TENSOR'
  | 'CYCLE'
  | 'BAD_ATTRIBUTE'
  | 'BAD_PARAM'
  | 'SHAPE_MISMATCH'
  | 'VALUE_TOO_LARGE'
  | 'BAD_OUTPUT'
  | 'BAD_CALIBRATION';

/**
 * Input of the wrong shape, size or type handed to `run`/`classify`, or a source `loadModel` cannot read. Nothing was
 * dispatched. Codes: INPUT_SHAPE, INPUT_TYPE, INPUT_NOT_FINITE, BAD_TOP_K, BAD_OPTIONS, IMAGE_NOT_READY,
 * IMAGE_TOO_LARGE (over 100 megapixels), IMAGE_DECODE_FAILED, NO_IMAGE_DECODER, NO_CANVAS, BAD_SOURCE, FETCH_FAILED
 * (a download or, in Node, a file), FETCH_TIMEOUT (a download idle past loadModel's idleTimeoutMs), MODEL_TOO_LARGE
 * (over loadModel's maxBytes),
 * RUN_TOO_LARGE (a batch whose activations exceed loadModel's maxRunBytes),
 * BAD_LABELS (convertOnnx's labels do not number the model's classes).
 */
export class TwnInputError extends TwnError {}

/**
 * WebGPU missing, no adapter, a limit the graph exceeds, or the device lost.
 * Codes: NO_WEBGPU, NO_ADAPTER, DEVICE_REQUEST_FAILED, BAD_BACKEND, LIMIT_EXCEEDED, UNSUPPORTED_OP, PIPELINE_FAILED,
 * VALIDATION, OUT_OF_MEMORY, DEVICE_LOST, DISPOSED, WORKER_FAILED (the CPU backend's Web Worker stopped).
 */
export class TwnDeviceError extends TwnError {}

/**
 * An ONNX model the converter (src/convert/) cannot turn into a `.twn` file. `node` names the ONNX node (or value)
 * at fault, so a user can find it in Netron or their export code.
 */
export class TwnConvertError extends TwnError {
  readonly node?: string;
  constructor(code: ConvertErrorCode, message: string, where: { node?: string } = {}) {
    super(code, where.node !== undefined ? `node "${where.node}": ${message}` : message);
    this.node = where.node;
  }
}

export type ConvertErrorCode =
  /** The bytes are not an ONNX ModelProto (protobuf decoding failed), or it has no graph. */
  | 'ONNX_DECODE'
  /** An operator with no `.twn` counterpart, or from a domain other than the default one. */
  | 'UNSUPPORTED_OP'
  /** A supported operator with an attribute value `.twn` cannot express (groups, dilation, asymmetric pads, …). */
  | 'UNSUPPORTED_ATTRIBUTE'
  /** Operators that are fine alone but not in this arrangement (a weight computed at run time, a non-per-channel
   *  normalisation, an input that is not [N, 1 or 3, H, W], …). */
  | 'UNSUPPORTED_PATTERN'
  /** A tensor element type other than float32/float64/int32/int64, or weights kept in external files. */
  | 'UNSUPPORTED_DTYPE'
  /** A node reads a value no node, initializer or input produces, or a tensor's data does not match its dims. */
  | 'MALFORMED_MODEL';
