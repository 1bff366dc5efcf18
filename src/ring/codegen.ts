/**
 * Code generation switches and names. Their own module, so that declaring a marker uses them
 * without loading the encoders (src/ring/encode.ts) before a first marker is turned on.
 */

/** Differs between copies of tracemark in one process, whose marker ids coincide. */
const COPY_NONCE = Math.floor(Math.random() * 2 ** 32).toString(36);

/**
 * A function name unique to one generated function of this copy of tracemark. V8 caches
 * `new Function` by source text: functions generated from one text share one SharedFunctionInfo
 * and one feedback cell ("many closures"), so they lose the JIT's specialisation to their
 * closure's constants and mix their type feedback. A unique name makes every source unique.
 */
export function codeTag(kind: string, id: number): string {
  return `tracemark_${kind}_${id}_${COPY_NONCE}`;
}

let codegenAllowed: boolean | undefined;

/** Whether `new Function` works in this process (it does not under --disallow-code-generation-from-strings). */
export function canGenerateCode(): boolean {
  if (codegenAllowed === undefined) {
    try {
      codegenAllowed = new Function('return 1')() === 1;
    } catch {
      codegenAllowed = false;
    }
  }
  return codegenAllowed;
}
