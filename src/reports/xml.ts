/** An element: a name, attributes in order, and children. */
export type XmlElement = {
  name: string;
  attributes?: Record<string, string | number | undefined>;
  children?: (XmlElement | string)[];
};

// Characters XML 1.0 forbids even as references: C0 controls but tab, line
// feed and carriage return; lone surrogates; U+FFFE and U+FFFF.
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text content; forbidden characters become U+FFFD. */
export function escapeXmlText(value: string): string {
  return value
    .replace(NOT_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Escapes an attribute value for double quotes, keeping tabs and newlines. */
export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** Renders a document with an XML declaration, two-space indented. */
export function renderXml(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderElement(root, '')}\n`;
}

function renderElement(element: XmlElement, indent: string): string {
  const attributes = Object.entries(element.attributes ?? {})
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(String(value))}"`)
    .join('');
  const children = element.children ?? [];
  if (children.length === 0) return `${indent}<${element.name}${attributes}/>`;

  const open = `${indent}<${element.name}${attributes}>`;
  const close = `</${element.name}>`;
  if (children.every((c) => typeof c === 'string')) {
    return `${open}${children.map((c) => escapeXmlText(c as string)).join('')}${close}`;
  }

  const inner = children.map((child) =>
    typeof child === 'string'
      ? `${indent}  ${escapeXmlText(child)}`
      : renderElement(child, `${indent}  `),
  );
  return [open, ...inner, `${indent}${close}`].join('\n');
}
