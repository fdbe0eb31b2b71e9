// PLACEHOLDER until the importers land (issue 6): recognises no source file.
import type { ImportResult } from './types';

export function importSource(_fileName: string, _text: string): ImportResult | undefined {
  return undefined;
}
