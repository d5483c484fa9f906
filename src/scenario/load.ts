/**
 * YAML text → plain data plus where every key and value was written. YAML is read as 1.2 core, one
 * document, no merge keys, no custom tags; depth, size and alias expansion are bounded so that no input
 * can crash or stall the validator.
 */
import { CST, Lexer, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Alias, Document, Node } from 'yaml';
import { characterProblems } from './characters.js';
import { at } from './issues.js';
import type { IssueSink, Locator, Path, Placement, Problem } from './issues.js';
import { checkLimits } from './limits.js';
import type { ResolveAlias } from './limits.js';

/** Scenario files larger than this are refused before they are read. */
export const maxScenarioBytes = 1024 * 1024;
/** Deepest nesting of mappings and lists a scenario may use; real ones need fewer than ten levels. */
export const maxDepth = 64;
/** Nodes that aliases may expand to, in total; anything larger is an alias bomb. */
export const maxAliasNodes = 10_000;
// A cheap token scan refuses absurd nesting before the YAML parser spends time on it.
const prescanDepth = maxDepth * 4;

/** Where one value sits in the text: its key (for mapping entries) and its value. */
interface Site {
  key?: number;
  start: number;
  end: number;
}

export interface LoadedDocument {
  /** The data, or undefined when the text cannot be read as one YAML mapping (issues say why). */
  value: Record<string, unknown> | undefined;
  locator: Locator;
}

const pathKey = (path: Path): string => JSON.stringify(path);

/** Line starts for offset → position; YAML line breaks are \n, \r\n and \r. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return starts;
}

function createLocator(text: string, sites: Map<string, Site>): Locator {
  const starts = lineStarts(text);
  const position = (offset: number): { line: number; column: number } => {
    const clamped = Math.max(0, Math.min(offset, text.length));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: clamped - (starts[low] ?? 0) + 1 };
  };
  return {
    locate(place: Placement) {
      if (place.offset !== undefined) return position(place.offset);
      const path = place.path ?? [];
      // The nearest written ancestor when the value itself is absent (a missing key points at its mapping).
      for (let length = path.length; length >= 0; length -= 1) {
        const site = sites.get(pathKey(path.slice(0, length)));
        if (!site) continue;
        if (length === path.length) {
          if (place.at === 'key' && site.key !== undefined) return position(site.key);
          if (place.needle !== undefined) {
            const found = text.slice(site.start, site.end).indexOf(place.needle);
            if (found >= 0) return position(site.start + found);
          }
        }
        return position(site.start);
      }
      return position(0);
    },
  };
}

interface PrescanResult {
  tooDeepAt?: number;
  /** Offsets of `${{` that YAML reads as `$` followed by a flow mapping. */
  unquotedTemplates: number[];
}

/** One pass over the YAML tokens: nesting depth and unquoted templates, without building anything. */
function prescan(text: string): PrescanResult {
  const unquotedTemplates: number[] = [];
  let offset = 0;
  let flowDepth = 0;
  let lineDepth = 0;
  let atLineStart = true;
  let scalarNext = false;
  let blockNext = false;
  let plainEndsWithDollar = -1;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (token === CST.SCALAR) {
      scalarNext = true;
      continue;
    }
    if (token === CST.DOCUMENT || token === CST.FLOW_END) continue;
    const start = offset;
    offset += token.length;
    if (scalarNext) {
      scalarNext = false;
      // A plain scalar (not a block scalar body) ending in `$` right before `{` is an unquoted `${{`.
      plainEndsWithDollar = !blockNext && token.endsWith('$') ? offset - 1 : -1;
      blockNext = false;
      atLineStart = false;
      continue;
    }
    if (type === 'flow-map-start' && plainEndsWithDollar === start - 1 && text.startsWith('{{', start)) {
      unquotedTemplates.push(plainEndsWithDollar);
    }
    plainEndsWithDollar = -1;
    switch (type) {
      case 'newline':
        atLineStart = true;
        lineDepth = 0;
        break;
      case 'space':
        if (atLineStart) lineDepth += token.length;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        // In a flow collection these separate entries (`{ a: 1, b: 2 }`); its brackets count its depth.
        if (flowDepth === 0) lineDepth += 1;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        flowDepth += 1;
        atLineStart = false;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        flowDepth = Math.max(0, flowDepth - 1);
        break;
      case 'block-scalar-header':
        blockNext = true;
        atLineStart = false;
        break;
      default:
        atLineStart = false;
    }
    // Indentation and indicators bound block nesting from above; brackets count flow nesting exactly.
    if (flowDepth + lineDepth > prescanDepth) return { tooDeepAt: start, unquotedTemplates };
  }
  return { unquotedTemplates };
}

const coreTags = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`));

interface WalkState {
  text: string;
  resolveAlias: ResolveAlias;
  sink: IssueSink;
  locator: Locator;
  sites: Map<string, Site>;
  aliasNodes: number;
  /** Anchored nodes being expanded: an alias to one of them would never end. */
  expanding: Set<unknown>;
  /** Set when the data cannot be trusted as a whole (alias bomb, nesting): later checks are skipped. */
  fatal: boolean;
  /** Set by a tag outside the core schema: the walk goes on to report every one, but the data is not used. */
  tagged: boolean;
}

function walk(node: unknown, path: Path, depth: number, inAlias: boolean, state: WalkState, key?: number): unknown {
  if (state.fatal) return undefined;
  const range = (node as { range?: [number, number, number] | null } | null)?.range;
  const start = range?.[0] ?? 0;
  const site: Site = { start, end: range?.[1] ?? start };
  if (key !== undefined) site.key = key;
  state.sites.set(pathKey(path), site);

  if (depth > maxDepth) {
    state.fatal = true;
    state.sink.report(
      { code: 'too-deep', message: `nesting deeper than ${maxDepth} levels`, hint: 'a scenario needs only a few levels; flatten the structure' },
      { offset: start },
    );
    return undefined;
  }
  if (inAlias) {
    state.aliasNodes += 1;
    if (state.aliasNodes > maxAliasNodes) {
      state.fatal = true;
      state.sink.report(
        { code: 'alias-bomb', message: `aliases expand to more than ${maxAliasNodes} values`, hint: 'use fewer and smaller anchors (&name) and aliases (*name)' },
        { offset: start },
      );
      return undefined;
    }
  }
  if (isAlias(node)) {
    const target = state.resolveAlias(node);
    if (target === undefined) return undefined; // yaml reports the unknown anchor
    if (state.expanding.has(target)) {
      state.fatal = true;
      state.sink.report(
        { code: 'alias-bomb', message: `alias *${node.source} refers to a value that contains it (an endless structure)`, hint: 'an alias may only repeat a value defined outside it' },
        { offset: start },
      );
      return undefined;
    }
    // The alias stands where it is written; what it expands to points at the anchored text.
    state.expanding.add(target);
    const value = walk(target, path, depth, true, state);
    state.expanding.delete(target);
    state.sites.set(pathKey(path), site);
    return value;
  }
  if (badTag(node, start, state) && isScalar(node)) return undefined;
  if (isScalar(node)) {
    const value: unknown = node.value;
    // What an alias repeats is checked once, where it is written.
    if (typeof value === 'string' && !inAlias) checkCharacters(value, at(path, ''), site, state);
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null ? value : undefined;
  }
  if (isSeq(node)) {
    return node.items.map((item, index) => walk(item, [...path, index], depth + 1, inAlias, state));
  }
  if (isMap(node) || isPair(node)) {
    const pairs = isMap(node) ? node.items : [node];
    // A null prototype: keys such as __proto__ or constructor are data like any other.
    const result = Object.create(null) as Record<string, unknown>;
    const firstAt = new Map<string, number>();
    for (const pair of pairs) {
      const keyNode = pair.key as Node | null;
      const keyStart = (keyNode as { range?: [number, number, number] } | null)?.range?.[0] ?? start;
      if (keyNode !== null && !isScalar(keyNode) && !isAlias(keyNode)) {
        state.sink.report(
          { code: 'wrong-type', message: 'a key must be plain text, not a mapping or a list', hint: 'quote it when it is meant as text' },
          { offset: keyStart },
        );
        continue;
      }
      if (isScalar(keyNode) && badTag(keyNode, keyStart, state)) continue;
      const keyValue = isScalar(keyNode) ? keyNode.value : keyNode === null ? null : walk(keyNode, [...path, '<key>'], depth + 1, true, state);
      const name = keyText(keyValue);
      if (name === undefined) {
        state.sink.report(
          { code: 'wrong-type', message: 'a key must be plain text, not a mapping or a list', hint: 'quote it when it is meant as text' },
          { offset: keyStart },
        );
        continue;
      }
      if (isScalar(keyNode) && name === '<<' && keyNode.type === 'PLAIN') {
        state.sink.report(
          { code: 'merge-key', message: 'merge keys (<<) are not part of YAML 1.2', hint: 'write the keys out; an alias (*name) can still stand for a whole value' },
          { offset: keyStart },
        );
        continue;
      }
      if (isScalar(keyNode) && !inAlias) {
        const range = keyNode.range ?? [keyStart, keyStart, keyStart];
        checkCharacters(name, at([...path, name], 'the key '), { start: range[0], end: range[1] }, state);
      }
      const first = firstAt.get(name);
      if (first !== undefined) {
        state.sink.report(
          { code: 'duplicate-key', message: `duplicate key "${name}" (first written on line ${state.locator.locate({ offset: first }).line})`, hint: 'keep one of them' },
          { offset: keyStart },
        );
        continue;
      }
      firstAt.set(name, keyStart);
      const valueNode = pair.value as Node | null;
      if (valueNode === null) {
        // `key:` with nothing after it: null, placed right after the key.
        const end = (keyNode as { range?: [number, number, number] } | null)?.range?.[1] ?? keyStart;
        state.sites.set(pathKey([...path, name]), { key: keyStart, start: end, end });
        result[name] = null;
      } else {
        result[name] = walk(valueNode, [...path, name], depth + 1, inAlias, state, keyStart);
      }
    }
    return result;
  }
  return undefined;
}

/**
 * A tag outside the core schema, reported where the value starts. Every one is reported; the data is then
 * not used (`tagged`), since guessing what a tagged value meant would only produce follow-up noise.
 */
function badTag(node: unknown, offset: number, state: WalkState): boolean {
  const tag = (node as { tag?: unknown } | null)?.tag;
  if (typeof tag !== 'string' || coreTags.has(tag)) return false;
  state.tagged = true;
  state.sink.report(
    { code: 'yaml-tag', message: `tag ${tag.replace('tag:yaml.org,2002:', '!!')} is not part of the YAML 1.2 core schema`, hint: 'remove the tag; write plain text, numbers, true/false, mappings and lists' },
    { offset },
  );
  return true;
}

/** Control and bidi characters of one scalar, pointed at where they are written raw (else at the scalar). */
function checkCharacters(text: string, label: string, site: Site, state: WalkState): void {
  for (const { problem, character } of characterProblems(text, label)) {
    const raw = state.text.slice(site.start, site.end).indexOf(character);
    state.sink.report(problem, { offset: raw >= 0 ? site.start + raw : site.start });
  }
}

/**
 * What each alias stands for: the last node anchored with its name before it, as yaml's own `resolve`
 * finds it. One pass over the document for all of them; `resolve` makes one pass per alias.
 */
function createAliasResolver(doc: Document.Parsed): ResolveAlias {
  let targets: Map<Alias, Node> | undefined;
  return (node) => {
    if (!isAlias(node)) return node;
    if (targets === undefined) {
      const found = new Map<Alias, Node>();
      const anchors = new Map<string, Node>();
      visit(doc, (_key, visited) => {
        if (isAlias(visited)) {
          const target = anchors.get(visited.source);
          if (target !== undefined) found.set(visited, target);
        } else if ((isScalar(visited) || isMap(visited) || isSeq(visited)) && visited.anchor) {
          anchors.set(visited.anchor, visited);
        }
      });
      targets = found;
    }
    return targets.get(node);
  };
}

/** The text of a scalar key (`1: x` is the key "1"); undefined for a collection reached through an alias. */
function keyText(value: unknown): string | undefined {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Parse `text` as one YAML 1.2 mapping. Problems go to the sink; `value` is undefined when nothing
 * sensible can be checked further (syntax errors, wrong top level, bombs).
 */
export function loadDocument(text: string, createSink: (locator: Locator) => IssueSink): { document: LoadedDocument; sink: IssueSink } {
  const sites = new Map<string, Site>();
  const locator = createLocator(text, sites);
  const sink = createSink(locator);
  const document: LoadedDocument = { value: undefined, locator };
  const done = { document, sink };

  const scan = prescan(text);
  if (scan.tooDeepAt !== undefined) {
    sink.report(
      { code: 'too-deep', message: `nesting deeper than ${maxDepth} levels`, hint: 'a scenario needs only a few levels; flatten the structure' },
      { offset: scan.tooDeepAt },
    );
    return done;
  }

  const parsed = parseAllDocuments(text, {
    version: '1.2',
    schema: 'core',
    merge: false,
    uniqueKeys: false,
    prettyErrors: false,
    strict: true,
    intAsBigInt: false,
  });
  const docs = Array.isArray(parsed) ? parsed : [];
  const first = docs[0];
  if (first === undefined || (first.contents === null && docs.length === 1 && first.errors.length === 0)) {
    sink.report({ code: 'empty-file', message: 'the file holds no scenario', hint: 'start with version: 1, kind, id, title, owner, objectives and steps' }, { offset: 0 });
    return done;
  }

  let fatal = false;
  const version = first.directives?.yaml.explicit ? first.directives.yaml.version : undefined;
  if (version !== undefined && version !== '1.2') {
    const directive = /^%YAML[ \t]/m.exec(text);
    sink.report(yamlVersionProblem(version), { offset: directive?.index ?? 0 });
    fatal = true;
  }
  const second = docs[1];
  if (second !== undefined) {
    const secondStart = second.range[0];
    const marker = text.lastIndexOf('---', secondStart);
    sink.report(
      { code: 'multiple-documents', message: `the file holds ${docs.length} YAML documents; a scenario file holds one`, hint: 'put each scenario in its own file' },
      { offset: marker >= 0 ? marker : secondStart },
    );
  }

  // `${{ x }}` inside a flow collection reads as `$` plus a mapping: one clear issue instead of a cascade.
  const templateLines = new Set<number>();
  // What follows a misread template is a cascade of follow-up errors, so those are left out.
  const cascadeFrom = scan.unquotedTemplates[0] ?? Infinity;
  for (const offset of scan.unquotedTemplates) {
    const close = text.indexOf('}}', offset);
    const raw = close >= 0 && close - offset < 200 ? text.slice(offset, close + 2) : '${{ … }}';
    sink.report(
      { code: 'unquoted-template', message: `YAML reads the unquoted template ${raw} as a mapping`, hint: `quote it: "${raw}"` },
      { offset },
    );
    templateLines.add(locator.locate({ offset }).line);
  }

  for (const doc of docs) {
    for (const error of doc.errors) {
      fatal = true;
      const offset = error.pos[0];
      if (offset >= cascadeFrom || templateLines.has(locator.locate({ offset }).line)) continue;
      sink.report({ code: 'yaml-syntax', message: yamlMessage(error.message) }, { offset });
    }
    for (const warning of doc.warnings) {
      // Unknown tags are reported per value below, with the value's position.
      if (warning.code === 'TAG_RESOLVE_FAILED') continue;
      const unsupported = /^Unsupported YAML version (\S+)/.exec(warning.message);
      if (unsupported) {
        fatal = true;
        sink.report(yamlVersionProblem(unsupported[1] ?? '?'), { offset: lineStartBefore(text, warning.pos[0]) });
      } else {
        sink.report({ code: 'yaml-syntax', message: yamlMessage(warning.message) }, { offset: warning.pos[0] });
      }
    }
  }
  if (fatal || scan.unquotedTemplates.length > 0) return done;

  const contents = first.contents;
  if (!isMap(contents)) {
    const what = isSeq(contents) ? 'a list' : contents === null ? 'empty' : 'a single value';
    sink.report(
      { code: 'not-a-mapping', message: `the top level of a scenario must be a mapping of keys, but it is ${what}`, hint: 'start with version: 1, kind, id, title, owner, objectives and steps' },
      { offset: contents?.range?.[0] ?? 0 },
    );
    return done;
  }

  const resolveAlias = createAliasResolver(first);
  if (checkLimits(contents, resolveAlias, (problem, offset) => sink.report(problem, { offset }))) return done;

  const state: WalkState = { text, resolveAlias, sink, locator, sites, aliasNodes: 0, expanding: new Set(), fatal: false, tagged: false };
  const value = walk(contents, [], 0, false, state) as Record<string, unknown>;
  if (!state.fatal && !state.tagged) document.value = value;
  return done;
}

function yamlVersionProblem(version: string): Problem {
  return { code: 'yaml-version', message: `YAML ${version} is not supported: scenarios are YAML 1.2`, hint: 'remove the %YAML directive' };
}

function lineStartBefore(text: string, offset: number): number {
  return Math.max(text.lastIndexOf('\n', offset - 1) + 1, 0);
}

/** yaml's messages, first line only and without a trailing period. */
function yamlMessage(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/\.$/, '');
}
