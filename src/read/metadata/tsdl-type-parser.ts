/**
 * The type half of the TSDL parser: type specifiers (integer, floating_point, string, enum,
 * struct, variant, aliases), attribute lists, field lists and declarators, with the scopes of
 * type aliases and named types. tsdl-parser.ts adds the top level and the blocks.
 */
import { MetadataError, type Token } from './tsdl-lexer.js';
import { TokenStream, checkAlign, describe } from './tsdl-tokens.js';
import type { AttrValue, CtfType, EnumMapping, FieldDecl, StructType, VariantType } from './tsdl-types.js';
import { parseFloatAttrs, parseIntegerAttrs, parseStringAttrs, type AttrContext } from './tsdl-attrs.js';

const MAX_DEPTH = 64;
const TYPE_KEYWORDS = new Set(['integer', 'floating_point', 'string', 'enum', 'struct', 'variant']);

type Scope = Map<string, CtfType>;

export abstract class TypeParser extends TokenStream {
  private depth = 0;
  /** Innermost scope last; the first one is the root scope. */
  protected readonly scopes: Scope[] = [new Map()];

  constructor(tokens: Token[], private readonly context: AttrContext) {
    super(tokens);
  }

  /** typealias / typedef / named type declaration (at top level, in blocks and in field lists). */
  protected abstract declaration(): void;

  protected define(name: string, type: CtfType, at: Token): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope.has(name)) throw new MetadataError('corrupt', `type alias ${JSON.stringify(name)} is defined twice`, at.offset);
    scope.set(name, type);
  }

  private lookup(key: string, at: Token): CtfType {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const type = this.scopes[i].get(key);
      if (type !== undefined) return type;
    }
    return this.fail(at, `unknown type ${JSON.stringify(key.replace(/^(struct|variant|enum) /, '$1 '))}`);
  }

  /** `a.b.c` (also used for attribute names such as `packet.header`). */
  protected path(): string {
    let name = this.expectIdent().text;
    while (this.isPunct('.')) {
      this.next();
      name += `.${this.expectIdent().text}`;
    }
    return name;
  }

  protected value(): AttrValue {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return { kind: 'string', value: t.text, offset: t.offset };
    }
    if (t.kind === 'ident') return { kind: 'ident', value: this.path(), offset: t.offset };
    return { kind: 'int', value: this.integer(), offset: t.offset };
  }

  private integer(): bigint {
    let negative = false;
    if (this.isPunct('-') || this.isPunct('+')) negative = this.next().text === '-';
    const t = this.next();
    if (t.kind !== 'int') this.fail(t, `expected an integer, found ${describe(t)}`);
    return negative ? -(t.value as bigint) : (t.value as bigint);
  }

  /**
   * Alias names may have several words (`unsigned long`). With a declarator following, the last
   * identifier is the declarator, so a word is only taken when another identifier follows it.
   */
  protected aliasWords(declaratorFollows: boolean): string[] {
    const words: string[] = [];
    while (this.peek().kind === 'ident' && !TYPE_KEYWORDS.has(this.peek().text)) {
      if (declaratorFollows && this.peek(1).kind !== 'ident') break;
      words.push(this.next().text);
    }
    return words;
  }

  private enter(at: Token): void {
    if (++this.depth > MAX_DEPTH) throw new MetadataError('unsupported', `types nested deeper than ${MAX_DEPTH} levels`, at.offset);
  }

  typeSpec(declaratorFollows: boolean): CtfType {
    const t = this.peek();
    this.enter(t);
    try {
      if (t.kind !== 'ident') this.fail(t, `expected a type, found ${describe(t)}`);
      switch (t.text) {
        case 'integer':
          this.next();
          return parseIntegerAttrs(this.attrList(), t.offset, this.context);
        case 'floating_point':
          this.next();
          return parseFloatAttrs(this.attrList(), t.offset, this.context);
        case 'string':
          this.next();
          return parseStringAttrs(this.isPunct('{') ? this.attrList() : new Map(), t.offset, this.context);
        case 'struct':
          return this.structSpec();
        case 'variant':
          return this.variantSpec();
        case 'enum':
          return this.enumSpec();
        default: {
          const words = this.aliasWords(declaratorFollows);
          if (words.length === 0) this.fail(t, `expected a type, found ${describe(t)}`);
          return this.lookup(words.join(' '), t);
        }
      }
    } finally {
      this.depth--;
    }
  }

  private attrList(): Map<string, AttrValue> {
    const attrs = new Map<string, AttrValue>();
    this.expectPunct('{');
    while (!this.isPunct('}')) {
      if (this.isPunct(';')) {
        this.next();
        continue;
      }
      const nameToken = this.peek();
      const name = this.path();
      this.expectPunct('=');
      if (attrs.has(name)) throw new MetadataError('corrupt', `attribute ${name} given twice`, nameToken.offset);
      attrs.set(name, this.value());
      if (!this.isPunct('}')) this.expectPunct(';');
    }
    this.expectPunct('}');
    return attrs;
  }

  private structSpec(): CtfType {
    const kw = this.next();
    const name = this.peek().kind === 'ident' ? this.next().text : undefined;
    if (!this.isPunct('{')) {
      if (name === undefined) this.fail(this.peek(), `expected "{" or a struct name, found ${describe(this.peek())}`);
      return this.lookup(`struct ${name}`, kw);
    }
    const fields = this.fieldList();
    let minAlignBits = 1;
    if (this.isIdent('align') && this.isPunct('(', 1)) {
      this.next();
      this.next();
      const alignToken = this.peek();
      minAlignBits = checkAlign(this.integer(), alignToken);
      this.expectPunct(')');
    }
    const type: StructType = { kind: 'struct', fields, minAlignBits };
    if (name !== undefined) this.define(`struct ${name}`, type, kw);
    return type;
  }

  private variantSpec(): CtfType {
    const kw = this.next();
    const name = this.peek().kind === 'ident' ? this.next().text : undefined;
    let tag: string | undefined;
    if (this.isPunct('<')) {
      this.next();
      tag = this.path();
      this.expectPunct('>');
    }
    if (!this.isPunct('{')) {
      if (name === undefined) this.fail(this.peek(), `expected "{" or a variant name, found ${describe(this.peek())}`);
      const named = this.lookup(`variant ${name}`, kw) as VariantType;
      return { ...named, tag: tag ?? named.tag, srcOffset: kw.offset };
    }
    const type: VariantType = { kind: 'variant', tag, options: this.fieldList(), srcOffset: kw.offset };
    if (name !== undefined) this.define(`variant ${name}`, type, kw);
    return type;
  }

  private enumSpec(): CtfType {
    const kw = this.next();
    const name = this.peek().kind === 'ident' ? this.next().text : undefined;
    let container: CtfType | undefined;
    if (this.isPunct(':')) {
      this.next();
      container = this.typeSpec(false);
    }
    if (!this.isPunct('{')) {
      if (name === undefined || container !== undefined) this.fail(this.peek(), `expected "{", found ${describe(this.peek())}`);
      return this.lookup(`enum ${name}`, kw);
    }
    container ??= this.lookup('int', kw);
    if (container.kind !== 'int') throw new MetadataError('corrupt', 'an enum container must be an integer type', kw.offset);
    const type: CtfType = { kind: 'enum', container, mappings: this.mappings() };
    if (name !== undefined) this.define(`enum ${name}`, type, kw);
    return type;
  }

  private mappings(): EnumMapping[] {
    const mappings: EnumMapping[] = [];
    let nextValue = 0n;
    this.expectPunct('{');
    while (!this.isPunct('}')) {
      const t = this.next();
      if (t.kind !== 'ident' && t.kind !== 'string') this.fail(t, `expected an enum label, found ${describe(t)}`);
      let lo = nextValue;
      let hi = nextValue;
      if (this.isPunct('=')) {
        this.next();
        lo = hi = this.integer();
        if (this.isPunct('...')) {
          this.next();
          hi = this.integer();
        }
      }
      if (hi < lo) throw new MetadataError('corrupt', `enum range ${lo} ... ${hi} is empty`, t.offset);
      mappings.push({ label: t.text, lo, hi });
      nextValue = hi + 1n;
      if (!this.isPunct('}')) this.expectPunct(',');
    }
    this.expectPunct('}');
    if (mappings.length === 0) throw new MetadataError('corrupt', 'an enum needs at least one mapping', this.peek().offset);
    return mappings;
  }

  /** `{ type declarator, ...; typealias ...; }` for struct fields and variant options. */
  private fieldList(): FieldDecl[] {
    const fields: FieldDecl[] = [];
    this.expectPunct('{');
    this.scopes.push(new Map());
    while (!this.isPunct('}')) {
      this.skipAnnotations();
      if (this.isPunct('}')) break;
      if (this.isPunct(';')) {
        this.next();
        continue;
      }
      if (this.isIdent('typealias') || this.isIdent('typedef')) {
        this.declaration();
        continue;
      }
      const base = this.typeSpec(true);
      if (this.isPunct(';')) {
        this.next(); // a named type declared inside the struct, no field
        continue;
      }
      do {
        const offset = this.peek().offset;
        const { name, type } = this.declarator(base);
        fields.push({ name, type, srcOffset: offset });
      } while (this.isPunct(',') && this.next());
      this.expectPunct(';');
    }
    this.scopes.pop();
    this.expectPunct('}');
    return fields;
  }

  /** `name`, `name[4]`, `name[len_field]`, `name[2][3]` (C order: outermost dimension first). */
  protected declarator(base: CtfType): { name: string; type: CtfType } {
    const nameToken = this.expectIdent();
    const dims: { length?: number; ref?: string; offset: number }[] = [];
    while (this.isPunct('[')) {
      const open = this.next();
      const t = this.peek();
      if (t.kind === 'int') {
        this.next();
        if ((t.value as bigint) > 0xffffffffn) throw new MetadataError('unsupported', `array length ${t.value} is too large`, t.offset);
        dims.push({ length: Number(t.value), offset: open.offset });
      } else {
        dims.push({ ref: this.path(), offset: open.offset });
      }
      this.expectPunct(']');
    }
    let type = base;
    for (let i = dims.length - 1; i >= 0; i--) {
      const d = dims[i];
      type = d.ref === undefined
        ? { kind: 'array', element: type, length: d.length as number }
        : { kind: 'sequence', element: type, lengthRef: d.ref, srcOffset: nameToken.offset };
    }
    return { name: nameToken.text, type };
  }
}
