// Bundled assets imported by URL (Vite turns the import into a file or data: URL).
declare module '*.svg' {
  const url: string
  export default url
}
