# zhconv 1.4 (untyped upstream): search/text.py reads the table of zhconv.zhconv
