import {describe, expect, it} from 'vitest'

import {expandHostPattern, parseInventoryFile} from '../../../src/enroll/inventory-file.js'

describe('parseInventoryFile', () => {
  it('reads one [user@]host[:port] per line, with comments and blank lines', () => {
    const {format, hosts} = parseInventoryFile('# fleet\nweb-1\n\nroot@web-2:2222  # the odd one\nweb-1\n')
    expect(format).toBe('lines')
    expect(hosts).toEqual([
      {spec: 'web-1', host: 'web-1'},
      {spec: 'root@web-2:2222', host: 'web-2', user: 'root', port: 2222},
    ])
  })

  it('reads an Ansible INI inventory: host vars, group vars, children, all:vars and ranges', () => {
    const ini = [
      'bastion.example.com',
      '',
      '[web]',
      'web[1:2].example.com',
      'web-legacy ansible_host=10.0.0.9 ansible_port=2222 ansible_user=admin fleetctl_sshd_config=/opt/ssh/sshd_config',
      '',
      '[db]',
      'db-1 ansible_host=10.0.1.1',
      '',
      '[db:vars]',
      'ansible_user=postgres',
      '',
      '[prod:children]',
      'web',
      '',
      '[prod:vars]',
      'ansible_port=22022',
      '',
      '[all:vars]',
      'ansible_user=ops',
      '',
    ].join('\n')
    const {format, hosts} = parseInventoryFile(ini, 'hosts')
    expect(format).toBe('ansible-ini')
    expect(hosts).toEqual([
      {spec: 'bastion.example.com', host: 'bastion.example.com', user: 'ops'},
      {spec: 'web1.example.com', host: 'web1.example.com', user: 'ops', port: 22022},
      {spec: 'web2.example.com', host: 'web2.example.com', user: 'ops', port: 22022},
      {spec: 'web-legacy', host: '10.0.0.9', user: 'admin', port: 2222, alias: 'web-legacy', sshdConfig: '/opt/ssh/sshd_config'},
      {spec: 'db-1', host: '10.0.1.1', user: 'postgres', alias: 'db-1'},
    ])
  })

  it('reads an Ansible YAML inventory with nested groups and inherited vars', () => {
    const yaml = `all:
  vars:
    ansible_user: ops
  hosts:
    bastion:
      ansible_host: 192.0.2.10
  children:
    web:
      vars:
        ansible_port: 2222
      hosts:
        web-[01:02]:
        web-03:
          ansible_user: root
`
    const {format, hosts} = parseInventoryFile(yaml, 'inventory.yml')
    expect(format).toBe('ansible-yaml')
    expect(hosts).toEqual([
      {spec: 'bastion', host: '192.0.2.10', user: 'ops', alias: 'bastion'},
      {spec: 'web-01', host: 'web-01', user: 'ops', port: 2222},
      {spec: 'web-02', host: 'web-02', user: 'ops', port: 2222},
      {spec: 'web-03', host: 'web-03', user: 'root', port: 2222},
    ])
  })

  it('says which host of which file is wrong', () => {
    expect(() => parseInventoryFile('[web]\nweb-1 ansible_port=99999\n', 'hosts.ini')).toThrow(/hosts\.ini: host web-1: .*out of range/)
    expect(() => parseInventoryFile('all: [unclosed', 'x.yml')).toThrow(/x\.yml is not valid YAML/)
  })
})

describe('expandHostPattern', () => {
  it('expands numeric ranges keeping their width, and letters', () => {
    expect(expandHostPattern('web[08:10]')).toEqual(['web08', 'web09', 'web10'])
    expect(expandHostPattern('db-[a:c].lan')).toEqual(['db-a.lan', 'db-b.lan', 'db-c.lan'])
    expect(expandHostPattern('plain')).toEqual(['plain'])
  })
})
