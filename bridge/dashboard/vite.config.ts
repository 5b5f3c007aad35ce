import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// Served by the bridge under /app; the bridge embeds dist/ at build time.
export default defineConfig({
  base: '/app/',
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 300 },
  test: { environment: 'jsdom', include: ['tests/unit/**/*.test.ts'] },
})
