import { z } from 'zod';
import { ConfigError, environmentSchemaOf, environmentSource, readSettings, setting } from './settings';
import { csv, positiveInt } from './value-schemas';

const shape = {
  name: setting('APP_NAME', z.string().default('app')),
  pool: {
    size: setting('APP_POOL_SIZE', positiveInt.default(4)),
    hosts: setting('APP_POOL_HOSTS', csv),
  },
};
const schema = environmentSchemaOf(shape);

describe('a settings shape', () => {
  it('has one flat schema of its variables, in its order', () => {
    expect(Object.keys(schema.shape)).toEqual(['APP_NAME', 'APP_POOL_SIZE', 'APP_POOL_HOSTS']);
  });

  it('is read into the nested values its names say, defaults applied', () => {
    expect(readSettings(shape, schema, environmentSource({ APP_POOL_HOSTS: 'a, b', OTHER: 'x' }))).toEqual({
      name: 'app',
      pool: { size: 4, hosts: ['a', 'b'] },
    });
  });

  it('names every bad variable, whatever the name it is read by', () => {
    const read = () => readSettings(shape, schema, environmentSource({ APP_POOL_SIZE: '0', APP_NAME: '' }));
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/^invalid configuration: APP_POOL_SIZE: .+$/);
  });

  it('reads each setting from its source by variable and by path (where a configuration file will slot in)', () => {
    const file: Record<string, unknown> = { 'pool.size': 8, 'pool.hosts': 'c' };
    const environment: Record<string, string | undefined> = { APP_POOL_HOSTS: 'd' };
    const fileThenEnvironment = (leaf: { variable: string }, path: readonly string[]) => environment[leaf.variable] ?? file[path.join('.')];
    expect(readSettings(shape, schema, fileThenEnvironment)).toEqual({ name: 'app', pool: { size: 8, hosts: ['d'] } });
    file['pool.size'] = -1;
    expect(() => readSettings(shape, schema, fileThenEnvironment)).toThrow('APP_POOL_SIZE');
  });

  it('refuses a variable read by two settings', () => {
    expect(() => environmentSchemaOf({ a: setting('APP_X', z.string()), b: { c: setting('APP_X', z.string()) } })).toThrow(
      'APP_X is read twice (again at b.c)',
    );
  });
});
