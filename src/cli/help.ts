/**
 * Printing `--help`: the texts name documents as `docs/NAME.md`; printed, each becomes a path
 * that exists (the package ships docs/) or, in a copy without them, the document's address.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the documents are published (package.json `homepage`). */
export const DOCS_URL = 'https://github.com/tracemark/tracemark/blob/main/docs/';

const PACKAGE_DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));

/** `docs/filters.md` → the installed file's absolute path, or its address when not installed. */
export function docReference(name: string): string {
  const local = PACKAGE_DOCS + name;
  return existsSync(local) ? local : DOCS_URL + name;
}

/** Replaces every `docs/NAME.md` of a help text by docReference(NAME.md). */
export function withDocReferences(text: string): string {
  return text.replace(/(?<![\w/.])docs\/([\w./-]+?\.md)\b/g, (_, name: string) => docReference(name));
}
