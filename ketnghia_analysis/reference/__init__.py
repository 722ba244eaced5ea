"""Stage 1, reference: the versioned data files beside this module (gazetteer, glossary,
partner registry, header synonyms, poverty standards) and the lookups built on them (commune
matching, partner resolution). Reads only core; hands lookups to every later stage.
"""
