/**
 * Base of every kata-ts error: a stable `code` (bare SCREAMING_SNAKE; the class names the domain,
 * so no package prefix), the message and an optional cause. `name` is the subclass's name.
 *
 * Plain `instanceof`, no Symbol.for brand: each process runs one esbuild bundle (shim, agent,
 * proxy, kata-runtime) or one vitest module graph over the workspace links, so every class exists
 * once; a brand would only hide a duplicated install.
 */
export class KataError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
