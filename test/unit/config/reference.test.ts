import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import ProxyStart from '../../../src/commands/proxy/start.js'
import {proxyKeysSummary, renderConfigReference} from '../../../src/config/reference.js'
import {configJsonSchema, type SchemaNode} from '../../../src/config/schema.js'

describe('the config reference made from the schema', () => {
  it('docs/config.md is what `npm run docs:config` writes now (run it after changing the schema)', () => {
    expect(readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8')).toBe(renderConfigReference(ProxyStart.flags))
  })

  it('every key says what it does and what it takes', () => {
    const missing: string[] = []
    const walk = (node: SchemaNode, path: string[]) => {
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        if (!child.description || !child.expects) missing.push([...path, name].join('.'))
        walk(child, [...path, name])
      }
    }
    walk(configJsonSchema(), [])
    expect(missing).toEqual([])
  })

  it('proxy start --help lists every proxy key, ciphers included', () => {
    const proxyKeys = Object.entries(configJsonSchema().properties!.proxy!.properties!).filter(([, node]) => !node.deprecated)
    for (const [name] of proxyKeys) expect(proxyKeysSummary()).toContain(name)
    expect(proxyKeysSummary()).toContain('ciphers (fast or compatible)')
    expect(ProxyStart.description).toContain(proxyKeysSummary())
  })
})
