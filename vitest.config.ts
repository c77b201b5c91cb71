import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: on these 2-core machines an enrollment's every remote command starts the login
    // shell (root's .bashrc runs pyenv init: ~0.5 s each), so ten hosts take about two minutes.
    // A bound on hangs, not on speed (tests assert no timings).
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // e2e suites start real sshd/ssh-agent processes; two cores do not gain from more workers.
    maxWorkers: 2,
  },
})
