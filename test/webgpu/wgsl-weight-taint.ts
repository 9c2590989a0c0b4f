/**
 * Proves that a WGSL shader never multiplies by a weight: it tokenizes and parses the shader, then runs a taint
 * analysis from the weight buffers through every let/var/assignment, function parameter and return value, and reports
 * each multiplicative operation (`*`, `*=`, `/`, `/=`, and builtins that multiply such as `fma` or `dot`) with an
 * operand derived from a weight.
 *
 * Data flow taints everything it touches (arithmetic, comparisons, conversions, `select`, indexing by a tainted
 * index). Control flow is where a ternary kernel legitimately uses the codes: `if (code == 1u) { acc += x; }` adds or
 * skips the input and does not make `acc` a weight. To stop that from hiding a decoded weight, a branch on a tainted
 * condition taints every variable declared outside the branch that it assigns with `=` (or `*=`, `|=`, …), and every
 * `+=`/`-=` whose right side is a constant (`s += 1.0` builds a weight; `acc += x` accumulates an input). Bit masks are
 * the other legitimate use: `(bits(x) ^ negate) & keep` with x an activation (a value read from an activation buffer)
 * is x, −x or 0, so XOR and AND of a weight mask into an activation yield an activation, not a weight; the same masks
 * applied to a constant (`bits(1.0) ^ negate`) build a weight and stay tainted. Anything the parser does not
 * understand (`switch`, pointers passed to functions) is rejected: the check fails closed.
 */

export interface Violation {
  readonly line: number;
  readonly message: string;
}

interface Token {
  readonly text: string;
  readonly kind: 'ident' | 'number' | 'punct';
  readonly line: number;
}

type Expr =
  | { readonly kind: 'ident'; readonly name: string; readonly line: number }
  | { readonly kind: 'literal'; readonly line: number }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly line: number }
  | { readonly kind: 'unary'; readonly op: string; readonly operand: Expr; readonly line: number }
  | { readonly kind: 'call'; readonly callee: string; readonly args: readonly Expr[]; readonly line: number }
  | { readonly kind: 'index'; readonly base: Expr; readonly index: Expr; readonly line: number }
  | { readonly kind: 'member'; readonly base: Expr; readonly line: number };

type Stmt =
  | { readonly kind: 'decl'; readonly name: string; readonly init?: Expr }
  | { readonly kind: 'assign'; readonly op: string; readonly target: Expr; readonly value: Expr; readonly line: number }
  | { readonly kind: 'expr'; readonly expr: Expr }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: readonly Stmt[]; readonly otherwise: readonly Stmt[] }
  | { readonly kind: 'loop'; readonly cond?: Expr; readonly body: readonly Stmt[] }
  | { readonly kind: 'return'; readonly value?: Expr }
  | { readonly kind: 'jump' };

interface FunctionDecl {
  readonly name: string;
  readonly params: readonly string[];
  readonly body: readonly Stmt[];
}

interface Module {
  readonly functions: readonly FunctionDecl[];
  /** Module-scope `var`s with initializers and `const`/`override` declarations. */
  readonly globals: readonly Stmt[];
  /** Names of `const` and `override` declarations: values fixed before the shader runs. */
  readonly constants: ReadonlySet<string>;
}

const PUNCTUATION = [
  '>>=', '<<=', '->', '&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '++',
  '--', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '<', '>', '=', '(', ')', '[', ']', '{', '}', ',', ';', ':', '.', '@',
];
const NUMBER = /^(0[xX][0-9a-fA-F]+[iu]?|(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?[fhiu]?)/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const MULTIPLICATIVE = new Set(['*', '/']);
const MULTIPLYING_BUILTINS = new Set(['fma', 'dot', 'dot4I8Packed', 'dot4U8Packed', 'mix', 'ldexp', 'pow', 'smoothstep', 'outerProduct']);
/** Builtins whose result says nothing about the contents of their arguments. */
const CONTENT_FREE_BUILTINS = new Set(['arrayLength']);
const TEMPLATED_TYPES = new Set(['array', 'vec2', 'vec3', 'vec4', 'mat2x2', 'mat3x3', 'mat4x4', 'ptr', 'atomic']);
/** Builtins called with a template argument, like `bitcast<u32>(x)`. */
const TEMPLATED_BUILTINS = new Set(['bitcast']);
/** Bitwise operators through which a weight mask may be applied to an activation's bits (see MaskedActivation). */
const MASK_OPS = new Set(['^', '&']);
const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '>>': 8, '+': 9,
  '-': 9, '*': 10, '/': 10, '%': 10,
};
const ASSIGNMENT_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '>>=', '<<=']);

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i, i + 3);
    const char = source[i]!;
    if (char === '\n') {
      line++;
      i++;
    } else if (/\s/.test(char)) {
      i++;
    } else if (rest.startsWith('//')) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (rest.startsWith('/*')) {
      let depth = 0;
      do {
        if (source.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (source.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else {
          if (source[i] === '\n') line++;
          i++;
        }
      } while (depth > 0 && i < source.length);
    } else {
      const tail = source.slice(i);
      const number = NUMBER.exec(tail);
      const ident = IDENT.exec(tail);
      const punct = PUNCTUATION.find((p) => tail.startsWith(p));
      const [text, kind] = number ? [number[0], 'number' as const] : ident ? [ident[0], 'ident' as const] : punct ? [punct, 'punct' as const] : [];
      if (text === undefined || kind === undefined) throw new SyntaxError(`line ${line}: unexpected character ${JSON.stringify(char)}`);
      tokens.push({ text, kind, line });
      i += text.length;
    }
  }
  return tokens;
}

class Parser {
  private position = 0;
  readonly constants = new Set<string>();

  constructor(private readonly tokens: readonly Token[]) {}

  parseModule(): Module {
    const functions: FunctionDecl[] = [];
    const globals: Stmt[] = [];
    while (!this.done()) {
      this.skipAttributes();
      const keyword = this.next().text;
      if (keyword === 'fn') functions.push(this.parseFunction());
      else if (keyword === 'var' || keyword === 'const' || keyword === 'override' || keyword === 'let') {
        if (keyword === 'const' || keyword === 'override') this.constants.add(this.peek().text);
        globals.push(this.parseDeclarationRest(keyword));
        this.expect(';');
      } else if (keyword === 'struct') {
        this.next();
        this.skipBalanced('{', '}');
      } else if (['enable', 'requires', 'diagnostic', 'alias'].includes(keyword)) {
        while (this.next().text !== ';');
      } else {
        throw this.error(`unsupported module-scope declaration "${keyword}"`);
      }
    }
    return { functions, globals, constants: this.constants };
  }

  private parseFunction(): FunctionDecl {
    const name = this.identifier();
    this.expect('(');
    const params: string[] = [];
    while (!this.accept(')')) {
      this.skipAttributes();
      params.push(this.identifier());
      this.expect(':');
      if (this.peek().text === 'ptr') throw this.error(`pointer parameter "${params.at(-1)}" cannot be analysed`);
      this.skipType();
      this.accept(',');
    }
    if (this.accept('->')) {
      this.skipAttributes();
      this.skipType();
    }
    return { name, params, body: this.parseBlock() };
  }

  private parseBlock(): Stmt[] {
    this.expect('{');
    const statements: Stmt[] = [];
    while (!this.accept('}')) statements.push(...this.parseStatement());
    return statements;
  }

  private parseStatement(): Stmt[] {
    this.skipAttributes();
    const token = this.peek();
    switch (token.text) {
      case '{':
        return this.parseBlock();
      case ';':
        this.next();
        return [];
      case 'let':
      case 'var':
      case 'const': {
        this.next();
        const declaration = this.parseDeclarationRest(token.text);
        this.expect(';');
        return [declaration];
      }
      case 'if':
        return [this.parseIf()];
      case 'for': {
        this.next();
        this.expect('(');
        const init = this.peek().text === ';' ? [] : this.parseSimpleStatement();
        this.expect(';');
        const cond = this.peek().text === ';' ? undefined : this.parseExpression();
        this.expect(';');
        const update = this.peek().text === ')' ? [] : this.parseSimpleStatement();
        this.expect(')');
        return [...init, { kind: 'loop', cond, body: [...this.parseBlock(), ...update] }];
      }
      case 'while': {
        this.next();
        const cond = this.parseExpression();
        return [{ kind: 'loop', cond, body: this.parseBlock() }];
      }
      case 'loop':
      case 'continuing':
        this.next();
        return [{ kind: 'loop', body: this.parseBlock() }];
      case 'return': {
        this.next();
        const value = this.peek().text === ';' ? undefined : this.parseExpression();
        this.expect(';');
        return [{ kind: 'return', value }];
      }
      case 'break': {
        this.next();
        // `break if cond;` ends a loop depending on cond: model it as a branch around a jump.
        const statement: Stmt = this.accept('if') ? { kind: 'if', cond: this.parseExpression(), then: [{ kind: 'jump' }], otherwise: [] } : { kind: 'jump' };
        this.expect(';');
        return [statement];
      }
      case 'continue':
      case 'discard':
        this.next();
        this.expect(';');
        return [{ kind: 'jump' }];
      case 'switch':
        throw this.error('switch statements are not analysed');
      default: {
        const statements = this.parseSimpleStatement();
        this.expect(';');
        return statements;
      }
    }
  }

  private parseIf(): Stmt {
    this.expect('if');
    const cond = this.parseExpression();
    const then = this.parseBlock();
    let otherwise: Stmt[] = [];
    if (this.accept('else')) otherwise = this.peek().text === 'if' ? [this.parseIf()] : this.parseBlock();
    return { kind: 'if', cond, then, otherwise };
  }

  /** An assignment, increment, phony assignment or call: what may stand in a for header. */
  private parseSimpleStatement(): Stmt[] {
    if (['let', 'var', 'const'].includes(this.peek().text)) return [this.parseDeclarationRest(this.next().text)];
    const line = this.peek().line;
    if (this.accept('_')) {
      this.expect('=');
      return [{ kind: 'expr', expr: this.parseExpression() }];
    }
    const target = this.parseExpression();
    const op = this.peek().text;
    if (op === '++' || op === '--') {
      this.next();
      return [{ kind: 'assign', op: op === '++' ? '+=' : '-=', target, value: { kind: 'literal', line }, line }];
    }
    if (ASSIGNMENT_OPS.has(op)) {
      this.next();
      return [{ kind: 'assign', op, target, value: this.parseExpression(), line }];
    }
    return [{ kind: 'expr', expr: target }];
  }

  private parseDeclarationRest(keyword: string): Stmt {
    if (keyword === 'var' && this.peek().text === '<') this.skipTemplate();
    const name = this.identifier();
    if (this.accept(':')) this.skipType();
    const init = this.accept('=') ? this.parseExpression() : undefined;
    return { kind: 'decl', name, init };
  }

  parseExpression(minPrecedence = 1): Expr {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      const precedence = token.kind === 'punct' ? BINARY_PRECEDENCE[token.text] : undefined;
      if (precedence === undefined || precedence < minPrecedence) return left;
      this.next();
      const right = this.parseExpression(precedence + 1);
      left = { kind: 'binary', op: token.text, left, right, line: token.line };
    }
  }

  private parseUnary(): Expr {
    const token = this.peek();
    if (['-', '!', '~', '*', '&'].includes(token.text)) {
      this.next();
      return { kind: 'unary', op: token.text, operand: this.parseUnary(), line: token.line };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Expr {
    const token = this.next();
    if (token.kind === 'number' || token.text === 'true' || token.text === 'false') return { kind: 'literal', line: token.line };
    if (token.text === '(') {
      const inner = this.parseExpression();
      this.expect(')');
      return inner;
    }
    if (token.kind !== 'ident') throw this.error(`unexpected "${token.text}" in an expression`, token);
    const templated = TEMPLATED_TYPES.has(token.text) || TEMPLATED_BUILTINS.has(token.text);
    if (templated && this.peek().text === '<') this.skipTemplate();
    if (this.accept('(')) {
      const args: Expr[] = [];
      while (!this.accept(')')) {
        args.push(this.parseExpression());
        this.accept(',');
      }
      return { kind: 'call', callee: token.text, args, line: token.line };
    }
    return { kind: 'ident', name: token.text, line: token.line };
  }

  private parsePostfix(base: Expr): Expr {
    for (;;) {
      if (this.accept('[')) {
        const index = this.parseExpression();
        this.expect(']');
        base = { kind: 'index', base, index, line: base.line };
      } else if (this.accept('.')) {
        this.identifier();
        base = { kind: 'member', base, line: base.line };
      } else {
        return base;
      }
    }
  }

  private skipType(): void {
    this.identifier();
    if (this.peek().text === '<') this.skipTemplate();
  }

  /** Skips `<…>`, where `>>` closes two levels (`array<vec4<f32>>`). */
  private skipTemplate(): void {
    let depth = 0;
    do {
      const text = this.next().text;
      if (text === '<') depth++;
      else if (text === '>') depth--;
      else if (text === '>>') depth -= 2;
    } while (depth > 0);
  }

  private skipBalanced(open: string, close: string): void {
    this.expect(open);
    let depth = 1;
    while (depth > 0) {
      const text = this.next().text;
      if (text === open) depth++;
      else if (text === close) depth--;
    }
  }

  private skipAttributes(): void {
    while (this.accept('@')) {
      this.identifier();
      if (this.peek().text === '(') this.skipBalanced('(', ')');
    }
  }

  private identifier(): string {
    const token = this.next();
    if (token.kind !== 'ident') throw this.error(`expected a name, got "${token.text}"`, token);
    return token.text;
  }

  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text) throw this.error(`expected "${text}", got "${token.text}"`, token);
  }

  private accept(text: string): boolean {
    if (this.done() || this.peek().text !== text) return false;
    this.position++;
    return true;
  }

  private peek(): Token {
    const token = this.tokens[this.position];
    if (token === undefined) throw new SyntaxError('unexpected end of shader');
    return token;
  }

  private next(): Token {
    const token = this.peek();
    this.position++;
    return token;
  }

  private done(): boolean {
    return this.position >= this.tokens.length;
  }

  private error(message: string, token = this.tokens[this.position]): SyntaxError {
    return new SyntaxError(`line ${token?.line ?? '?'}: ${message}`);
  }
}

export function parseWgsl(source: string): Module {
  return new Parser(tokenize(source)).parseModule();
}

/** The root variable an assignment target writes: `acc[i].x` → acc, `*p` → p. */
function rootName(target: Expr): string | undefined {
  switch (target.kind) {
    case 'ident':
      return target.name;
    case 'index':
    case 'member':
      return rootName(target.base);
    case 'unary':
      return rootName(target.operand);
    default:
      return undefined;
  }
}

class TaintAnalysis {
  readonly tainted: Set<string>;
  /** Names holding values derived from the activation buffers (inputs, not weights). */
  private readonly activations: Set<string>;
  private readonly taintedReturns = new Set<string>();
  private readonly paramsOf: ReadonlyMap<string, readonly string[]>;
  private changed = false;
  private readonly violations: Violation[] = [];
  private collecting = false;

  constructor(
    private readonly module: Module,
    weightBuffers: readonly string[],
    activationBuffers: readonly string[],
  ) {
    this.tainted = new Set(weightBuffers);
    this.activations = new Set(activationBuffers);
    this.paramsOf = new Map(module.functions.map((f) => [f.name, f.params]));
  }

  run(): Violation[] {
    // Names are one conservative namespace: a name tainted anywhere is tainted everywhere. Iterate to a fixpoint
    // because loops, module-scope vars and calls carry taint backwards through the text.
    do {
      this.changed = false;
      this.walkAll();
    } while (this.changed);
    this.collecting = true;
    this.walkAll();
    return this.violations;
  }

  private walkAll(): void {
    this.walk(this.module.globals, undefined, undefined);
    for (const fn of this.module.functions) this.walk(fn.body, undefined, fn.name);
  }

  /**
   * `branchLocals` is undefined outside branches on a tainted condition; inside one it holds the names declared
   * there, which cannot carry the branch's choice out except through assignments to outer variables.
   */
  private walk(statements: readonly Stmt[], branchLocals: Set<string> | undefined, fn: string | undefined): void {
    for (const statement of statements) {
      switch (statement.kind) {
        case 'decl':
          branchLocals?.add(statement.name);
          if (statement.init !== undefined && this.isTainted(statement.init)) this.taint(statement.name);
          if (statement.init !== undefined && this.carriesActivation(statement.init)) {
            this.markActivation(statement.name);
          }
          break;
        case 'assign': {
          const valueTainted = this.isTainted(statement.value);
          const targetTainted = this.isTainted(statement.target);
          if (statement.op === '*=' || statement.op === '/=') this.check(valueTainted || targetTainted, statement.line, statement.op);
          const name = rootName(statement.target);
          const buildsWeightInBranch =
            branchLocals !== undefined &&
            name !== undefined &&
            !branchLocals.has(name) &&
            (!['+=', '-='].includes(statement.op) || !this.readsVariable(statement.value));
          const indexTainted = statement.target.kind === 'index' && this.isTainted(statement.target.index);
          if (name !== undefined && (valueTainted || buildsWeightInBranch || indexTainted)) this.taint(name);
          if (name !== undefined && this.carriesActivation(statement.value)) this.markActivation(name);
          break;
        }
        case 'expr':
          this.isTainted(statement.expr);
          break;
        case 'if': {
          const locals = this.isTainted(statement.cond) ? (branchLocals ?? new Set<string>()) : branchLocals;
          this.walk(statement.then, locals, fn);
          this.walk(statement.otherwise, locals, fn);
          break;
        }
        case 'loop': {
          const condTainted = statement.cond !== undefined && this.isTainted(statement.cond);
          this.walk(statement.body, condTainted ? (branchLocals ?? new Set<string>()) : branchLocals, fn);
          break;
        }
        case 'return':
          if (fn !== undefined && statement.value !== undefined && (this.isTainted(statement.value) || branchLocals !== undefined)) {
            if (!this.taintedReturns.has(fn)) {
              this.taintedReturns.add(fn);
              this.changed = true;
            }
          }
          break;
        case 'jump':
          break;
      }
    }
  }

  /** Whether the expression derives from a weight; also records violations and taints callee parameters. */
  private isTainted(expr: Expr): boolean {
    switch (expr.kind) {
      case 'ident':
        return this.tainted.has(expr.name);
      case 'literal':
        return false;
      case 'unary':
        return this.isTainted(expr.operand);
      case 'member':
        return this.isTainted(expr.base);
      case 'index': {
        const base = this.isTainted(expr.base);
        return this.isTainted(expr.index) || base;
      }
      case 'binary': {
        const left = this.isTainted(expr.left);
        const right = this.isTainted(expr.right);
        if (MULTIPLICATIVE.has(expr.op)) this.check(left || right, expr.line, expr.op);
        // A weight mask XORed or ANDed into an activation's bits selects or negates that activation: the result is
        // the input (or zero), not a decoded weight. A mask applied to anything else (a constant) builds a weight.
        const unmasked = left ? expr.right : expr.left;
        if (MASK_OPS.has(expr.op) && left !== right && this.carriesActivation(unmasked)) return false;
        return left || right;
      }
      case 'call': {
        if (CONTENT_FREE_BUILTINS.has(expr.callee)) return false;
        const argTaint = expr.args.map((arg) => this.isTainted(arg));
        const params = this.paramsOf.get(expr.callee) ?? [];
        argTaint.forEach((tainted, i) => {
          const param = params[i];
          if (tainted && param !== undefined) this.taint(param);
          if (param !== undefined && this.carriesActivation(expr.args[i]!)) this.markActivation(param);
        });
        const anyArg = argTaint.some(Boolean);
        if (MULTIPLYING_BUILTINS.has(expr.callee)) this.check(anyArg, expr.line, `${expr.callee}()`);
        // A shader function's result is tainted when its body returns a tainted value (its parameters carry the
        // arguments' taint into the body); a builtin's, when any argument is.
        return this.paramsOf.has(expr.callee) ? this.taintedReturns.has(expr.callee) : anyArg;
      }
    }
  }

  private readsVariable(expr: Expr): boolean {
    switch (expr.kind) {
      case 'ident':
        return !this.module.constants.has(expr.name);
      case 'literal':
        return false;
      case 'unary':
        return this.readsVariable(expr.operand);
      case 'member':
        return this.readsVariable(expr.base);
      case 'index':
        return this.readsVariable(expr.base) || this.readsVariable(expr.index);
      case 'binary':
        return this.readsVariable(expr.left) || this.readsVariable(expr.right);
      case 'call':
        return expr.args.some((arg) => this.readsVariable(arg));
    }
  }

  /** Whether the expression's value derives from an activation buffer (an index into one does not count). */
  private carriesActivation(expr: Expr): boolean {
    switch (expr.kind) {
      case 'ident':
        return this.activations.has(expr.name);
      case 'literal':
        return false;
      case 'unary':
        return this.carriesActivation(expr.operand);
      case 'member':
      case 'index':
        return this.carriesActivation(expr.base);
      case 'binary':
        return this.carriesActivation(expr.left) || this.carriesActivation(expr.right);
      case 'call':
        return !CONTENT_FREE_BUILTINS.has(expr.callee) && expr.args.some((arg) => this.carriesActivation(arg));
    }
  }

  private markActivation(name: string): void {
    if (!this.activations.has(name)) {
      this.activations.add(name);
      this.changed = true;
    }
  }

  private taint(name: string): void {
    if (!this.tainted.has(name)) {
      this.tainted.add(name);
      this.changed = true;
    }
  }

  private check(tainted: boolean, line: number, op: string): void {
    if (this.collecting && tainted) this.violations.push({ line, message: `line ${line}: "${op}" has an operand derived from the weights` });
  }
}

/**
 * Every multiplication in `source` that has an operand derived from one of `weightBuffers`. `activationBuffers` hold
 * the layer's inputs: bit masks from the weights applied to their values (XOR of the sign, AND with all ones or
 * zeros) apply a weight rather than build one.
 */
export function findWeightMultiplications(
  source: string,
  weightBuffers: readonly string[],
  activationBuffers: readonly string[] = [],
): Violation[] {
  return new TaintAnalysis(parseWgsl(source), weightBuffers, activationBuffers).run();
}
