import { describe, expect, it } from 'vitest';
import { parseCopyrightLicenses } from './copyright.js';

const FORMAT = 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/';

describe('parseCopyrightLicenses', () => {
  const cases: { name: string; text: string; want: string[] }[] = [
    {
      name: 'License of each Files paragraph, first line only, in order, without repeats',
      text: `${FORMAT}
Upstream-Name: bash

Files: *
Copyright: FSF
License: GPL-3+

Files: support/bash.xbm
Copyright: Simon Marshall
License: GPL-3+

Files: lib/x
Copyright: someone
License: BSD-4-clause-UC and MIT-like
 Permission is hereby granted…
`,
      want: ['GPL-3+', 'BSD-4-clause-UC and MIT-like'],
    },
    {
      name: 'stand-alone License paragraphs only hold texts and add nothing',
      text: `${FORMAT}

Files: *
Copyright: x
License: Zlib

License: Zlib
 This software is provided 'as-is'…

License: GPL-2
 Referenced nowhere above.
`,
      want: ['Zlib'],
    },
    {
      name: "the header's License counts",
      text: `${FORMAT}
License: Apache-2.0

Files: *
Copyright: x
License: Apache-2.0 or MIT
`,
      want: ['Apache-2.0', 'Apache-2.0 or MIT'],
    },
    {
      name: 'a License field with only text below its empty first line names nothing',
      text: `${FORMAT}

Files: *
Copyright: x
License:
 All rights reserved.
`,
      want: [],
    },
    {
      name: 'the DEP-5 draft Format URI is accepted',
      text: 'Format-Specification: x\nFormat: http://dep.debian.net/deps/dep5\n\nFiles: *\nCopyright: x\nLicense: LGPL-2.1+\n',
      want: ['LGPL-2.1+'],
    },
    {
      name: 'free-form copyright files give no licenses',
      text: 'This is the Debian prepackaged version of base-files.\n\nLicense: GPL\n',
      want: [],
    },
    { name: 'empty file', text: '', want: [] },
  ];
  it.each(cases)('$name', ({ text, want }) => {
    expect(parseCopyrightLicenses(text)).toEqual(want);
  });
});
