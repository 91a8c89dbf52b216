// Typed errors: every failure says what was wrong and where (op, parameter name, shapes, file).

/** Base class of every error adaptlab throws on purpose. `code` is stable for programs to match on. */
export class AdaptlabError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an op, e.g. `matmul: inner dimensions differ: [2,3] @ [4,5]`. */
export class ShapeError extends AdaptlabError {
  readonly op: string;
  readonly shapes: readonly (readonly number[])[];
  constructor(op: string, detail: string, shapes: readonly (readonly number[])[] = []) {
    const shown = shapes.length ? ` (shapes ${shapes.map((s) => `[${s.join(',')}]`).join(', ')})` : '';
    super('E_SHAPE', `${op}: ${detail}${shown}`);
    this.op = op;
    this.shapes = shapes;
  }
}

/** A tensor of the wrong dtype for an op, e.g. float labels given to cross-entropy. */
export class DTypeError extends AdaptlabError {
  readonly op: string;
  constructor(op: string, detail: string) {
    super('E_DTYPE', `${op}: ${detail}`);
    this.op = op;
  }
}

/** Invalid argument values (negative sizes, bad axes, unknown options). */
export class ArgumentError extends AdaptlabError {
  constructor(where: string, detail: string) {
    super('E_ARGUMENT', `${where}: ${detail}`);
  }
}

/** Autograd misuse: grad of a non-scalar without grad outputs, unused inputs, released graphs. */
export class GradError extends AdaptlabError {
  constructor(detail: string) {
    super('E_GRAD', detail);
  }
}

/**
 * An in-place write (copy_, fill_, an optimiser step, through any view or detach) to a tensor whose values a
 * recorded op needs for its gradient, found at backward; names the op and the tensor, like PyTorch's check.
 */
export class InPlaceError extends GradError {
  readonly op: string;
  constructor(op: string, tensor: string, version: number, savedVersion: number) {
    super(
      `one of the tensors needed for the gradient of ${op} (${tensor}) was modified by an in-place operation: ` +
        `its storage is at version ${version}, ${op} saved version ${savedVersion}. Write to a clone() instead, or after the backward pass.`,
    );
    this.op = op;
  }
}

/** State-dict problems: missing or unexpected keys, shape mismatches; names the key. */
export class StateDictError extends AdaptlabError {
  readonly key: string | undefined;
  constructor(detail: string, key?: string) {
    super('E_STATE_DICT', detail);
    this.key = key;
  }
}

/** A file that cannot be read or written as the format demands; names the file and the problem. */
export class FormatError extends AdaptlabError {
  readonly file: string;
  constructor(file: string, detail: string) {
    super('E_FORMAT', `${file}: ${detail}`);
    this.file = file;
  }
}

/** The requested backend or kernel is not available here. */
export class BackendError extends AdaptlabError {
  constructor(detail: string) {
    super('E_BACKEND', detail);
  }
}

/** A download that failed (HTTP status, connection, too many redirects); names the URL. Checksum mismatches are FormatErrors. */
export class DownloadError extends AdaptlabError {
  readonly url: string;
  constructor(url: string, detail: string) {
    super('E_DOWNLOAD', `${url}: ${detail}`);
    this.url = url;
  }
}
