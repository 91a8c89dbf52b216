// Containers: Sequential (children named 0, 1, ...) and ModuleList.
import { ArgumentError } from '../../core/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import { Module, type AnyModule } from '../module.js';

/** Apply children in order; children are named "0", "1", ... as in torch.nn.Sequential. */
export class Sequential extends Module {
  constructor(...modules: AnyModule[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }
  get length(): number {
    return this._modules.size;
  }
  at(i: number): AnyModule {
    const k = i < 0 ? i + this.length : i;
    const m = this._modules.get(String(k));
    if (!m) throw new ArgumentError('Sequential.at', `index ${i} out of range (length ${this.length})`);
    return m;
  }
  append(m: AnyModule): this {
    this.registerModule(String(this.length), m);
    return this;
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this._modules.values()) h = m.call(h);
    return h;
  }
}

/** A list of modules registered as children "0", "1", ... (no forward of its own). */
export class ModuleList extends Module {
  constructor(modules: AnyModule[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }
  get length(): number {
    return this._modules.size;
  }
  at(i: number): AnyModule {
    const m = this._modules.get(String(i < 0 ? i + this.length : i));
    if (!m) throw new ArgumentError('ModuleList.at', `index ${i} out of range (length ${this.length})`);
    return m;
  }
  append(m: AnyModule): this {
    this.registerModule(String(this.length), m);
    return this;
  }
  [Symbol.iterator](): Iterator<AnyModule> {
    return this._modules.values();
  }
  forward(): Tensor {
    throw new ArgumentError('ModuleList', 'has no forward; call its members');
  }
}
