/* global document, getComputedStyle, innerHeight, MutationObserver, requestAnimationFrame */
// Probes the renderer tests evaluate inside the page (through the DevTools protocol, like axe, so
// the app's CSP stays in force). Plain browser JavaScript: the tests compile without the DOM lib.
// probes.ts calls them as globalThis.__probes.<name>().
;(() => {
  if (globalThis.__probes) return

  /** A short, readable name for an element: its tag and what a screen reader would call it. */
  const describe = (el) => {
    if (!el) return 'nothing'
    if (el === document.body) return 'the page body'
    const label = el.labels && el.labels.length > 0 ? el.labels[0].textContent : null
    const name = (el.getAttribute('aria-label') || label || el.textContent || el.value || '')
      .trim()
      .replace(/\s+/g, ' ')
      .slice(0, 80)
    return `<${el.tagName.toLowerCase()}> ${JSON.stringify(name)}`
  }

  // Focus watch: every frame, and a task after every focusout, where the focus is. Focus on the
  // body (or nowhere) is a drop: a keyboard user's next Tab starts from the top of the page.
  let watch = null
  const sample = () => {
    if (!watch) return
    const active = document.activeElement
    if (!active || active === document.body) {
      if (!watch.dropped) watch.drops.push(`focus fell to the page body after ${watch.last}`)
      watch.dropped = true
    } else {
      watch.dropped = false
      watch.last = describe(active)
    }
  }
  const onFocusOut = () => setTimeout(sample, 0)
  const frame = () => {
    sample()
    if (watch) requestAnimationFrame(frame)
  }

  // Live regions: the text of every polite or assertive region each time it changes, and whether
  // an aria-busy ancestor held it back from screen readers at that moment.
  let live = null
  const LIVE = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]'
  const recordLive = (mutations) => {
    for (const mutation of mutations) {
      const node = mutation.target
      const el = node.nodeType === 1 ? node : node.parentElement
      const region = el && el.closest(LIVE)
      if (!region) continue
      const text = (region.textContent || '').trim().replace(/\s+/g, ' ')
      if (live.last.get(region) === text) continue
      live.last.set(region, text)
      live.records.push({ text, busy: region.closest('[aria-busy="true"]') !== null })
    }
  }

  /** Whether an ancestor of `el` scrolls sideways itself (a wide table in its own scroller). */
  const inSidewaysScroller = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const overflowX = getComputedStyle(a).overflowX
      if ((overflowX === 'auto' || overflowX === 'scroll') && a.scrollWidth > a.clientWidth)
        return true
    }
    return false
  }

  // Every focus change since the probes were installed (the newest 20), for failure messages.
  const history = []
  document.addEventListener(
    'focusin',
    (event) => {
      history.push(`${Math.round(performance.now())} ms ${describe(event.target)}`)
      if (history.length > 20) history.shift()
    },
    true,
  )

  globalThis.__probes = {
    describeFocus: () => describe(document.activeElement),
    focusHistory: () => history.slice(),

    startFocusWatch() {
      watch = { drops: [], last: describe(document.activeElement), dropped: false }
      document.addEventListener('focusout', onFocusOut, true)
      requestAnimationFrame(frame)
    },
    stopFocusWatch() {
      sample()
      const drops = watch ? watch.drops : []
      watch = null
      document.removeEventListener('focusout', onFocusOut, true)
      return drops
    },

    startLiveRecorder() {
      live = { records: [], last: new Map(), observer: new MutationObserver(recordLive) }
      live.observer.observe(document.body, { childList: true, characterData: true, subtree: true })
    },
    stopLiveRecorder() {
      live.observer.disconnect()
      const records = live.records
      live = null
      return records
    },

    /** Where the focused element is, and whether its top edge can be seen (not under the header). */
    focusedPlacement() {
      const el = document.activeElement
      const r = el.getBoundingClientRect()
      const y = r.top + Math.min(3, r.height / 2)
      const shows = (x) => {
        const hit = document.elementFromPoint(x, y)
        return hit !== null && (hit === el || el.contains(hit))
      }
      return {
        name: describe(el),
        top: r.top,
        bottom: r.bottom,
        viewportHeight: innerHeight,
        topLeftShows: shows(r.left + Math.min(4, r.width / 2)),
        topRightShows: shows(r.right - Math.min(4, r.width / 2)),
      }
    },

    /** The page's width against the viewport's, and what sticks out sideways (outside scrollers). */
    horizontalOverflow() {
      const viewport = document.documentElement.clientWidth
      const outside = []
      const reported = new Set()
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect()
        if (r.width === 0 || r.height === 0) continue
        if (r.right <= viewport + 0.5 && r.left >= -0.5) continue
        if (inSidewaysScroller(el)) continue
        reported.add(el)
        // The outermost element that sticks out names the problem; its children follow it.
        if (reported.has(el.parentElement)) continue
        outside.push(`${describe(el)} spans ${Math.round(r.left)}–${Math.round(r.right)} px`)
      }
      return { viewport, pageWidth: document.documentElement.scrollWidth, outside }
    },

    /**
     * Every visible, enabled input, select and button with a drawn border: its border colours and
     * the background colours of its ancestors, nearest first (the ratio is computed in the test).
     */
    controlBorders() {
      const controls = []
      for (const el of document.querySelectorAll('input, select, button')) {
        if (el.matches('input[type="radio"], input[type="checkbox"], input[type="hidden"]'))
          continue
        if (el.disabled || el.getAttribute('aria-disabled') === 'true') continue
        const r = el.getBoundingClientRect()
        if (r.width <= 1 || r.height <= 1) continue
        const style = getComputedStyle(el)
        if (style.visibility !== 'visible') continue
        const borders = ['Top', 'Right', 'Bottom', 'Left']
          .filter(
            (side) =>
              style[`border${side}Style`] !== 'none' && parseFloat(style[`border${side}Width`]) > 0,
          )
          .map((side) => style[`border${side}Color`])
        const backgrounds = []
        for (let a = el.parentElement; a; a = a.parentElement)
          backgrounds.push(getComputedStyle(a).backgroundColor)
        controls.push({ kind: el.tagName.toLowerCase(), name: describe(el), borders, backgrounds })
      }
      return controls
    },
  }
})()
