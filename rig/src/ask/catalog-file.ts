import { readFile } from 'node:fs/promises';
import { CatalogSchema, err, ok, toIssues, type Catalog, type Result } from '@rigmind/protocol';
import { parse as parseYaml } from 'yaml';

/** Why a catalog did not load: no file there, unreadable, not YAML/JSON, or not a catalog. */
export type CatalogErrorCode = 'catalog_missing' | 'catalog_unreadable' | 'catalog_invalid';

/** A checked catalog, or why not. */
export type CatalogResult = Result<Catalog, CatalogErrorCode>;

/** Read a catalog file (YAML, of which JSON is a subset) and check it against protocol's CatalogSchema. */
export async function loadCatalog(path: string): Promise<CatalogResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return err(
        'catalog_missing',
        `no catalog at ${path}: copy examples/catalogs/seed-rig.yaml there and edit it, or give --catalog FILE`,
      );
    return err('catalog_unreadable', `cannot read catalog ${path} (${code ?? (error as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return err('catalog_invalid', `${path}: not YAML or JSON (${(error as Error).message.split('\n')[0] ?? ''})`);
  }
  const parsed = CatalogSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = toIssues(parsed.error).map((issue) => `  ${issue.path}: ${issue.message}`);
    return err('catalog_invalid', [`${path}: not a valid catalog`, ...lines].join('\n'));
  }
  if (parsed.data.commands.length === 0 && parsed.data.models.length === 0)
    return err('catalog_invalid', `${path}: the catalog lists no commands and no models, so nothing can be planned`);
  return ok(parsed.data);
}
