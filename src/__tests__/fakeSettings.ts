/**
 * The extension's settings for tests: a settings store in memory that serves
 * the schema the extension ships.
 */

import { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { IDataConnector } from '@jupyterlab/statedb';

// The schema the extension ships, so that its defaults are held to the code's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const schema = require('../../schema/plugin.json');
export const PLUGIN = 'jupyterlab-aml:plugin';

/**
 * A settings store in memory: what the server's settings API does.
 */
export class MemoryConnector implements IDataConnector<
  ISettingRegistry.IPlugin,
  string
> {
  raw = '{}';

  async fetch(id: string): Promise<ISettingRegistry.IPlugin> {
    return {
      id,
      raw: this.raw,
      schema,
      version: '0.1.0',
      data: undefined as any
    };
  }

  async list(): Promise<any> {
    return { ids: [PLUGIN], values: [await this.fetch(PLUGIN)] };
  }

  async save(id: string, raw: string): Promise<void> {
    this.raw = raw;
  }

  async remove(): Promise<void> {
    this.raw = '{}';
  }
}
