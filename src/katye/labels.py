"""Map labels in English, French and Haitian Creole (the Creole set is in :mod:`katye.labels_ht`)."""

from __future__ import annotations

import datetime as dt

from katye.errors import UsageError
from katye.labels_ht import HT

LABELS: dict[str, dict] = {
    "en": {
        "title": "Insecurity in Port-au-Prince",
        "control": "Control",
        "risk": "Risk",
        "incidents": "Incidents",
        "density": "Density",
        "hotspots": "Hot spots",
        "sites": "Key sites",
        "boundaries": "Boundaries",
        "names": "Place names",
        # Official names keep their accents in English reports too ("Cité Soleil", "Pétion-Ville").
        "name_column": "name_fr",  # which of the gazetteer's names a map in this language shows
        # ACLED's event types as shown on maps (the data keep ACLED's English names).
        "event_types": {},
        "events": "Events",
        "fatalities": "Fatalities",
        "date": "Date",
        "type": "Type",
        "sub_type": "Sub-event type",
        # ACLED's sub-event types as shown on maps (English maps keep ACLED's own words).
        "sub_event_types": {},
        "actors": "Actors",
        "location": "Location",
        "precision": "Location precision",
        "exact": "exact",
        "coarse": "located only approximately (hollow): not in zone counts",
        "source": "Source",
        "notes": "Notes",
        "aggregated": "Incidents in this square",
        "cells": "Incidents per square of about {m} m, all types and precisions together (darker: more); "
        "click a square for its counts by type",
        "period": "Period:",
        "all_periods": "Whole period",
        "months_group": "Months",
        "weeks_group": "ACLED weeks (Saturday to Friday)",
        "credits": "Sources",
        "credits_lead": "Sources: ",
        "stack": "{n} events at this place",
        "event_count": {"one": "{n} event", "other": "{n} events"},
        "armed_event_count": {"one": "{n} armed-group event", "other": "{n} armed-group events"},
        # Zone names that describe rather than name (the gazetteer writes them in English).
        "zone_names": {
            "airport": "Airport (Toussaint Louverture, PAP/MTPP)",
            "carrefour-centre": "Carrefour (centre)",
            "cite-soleil": "Cité Soleil (centre)",
            "gressier-town": "Gressier (town)",
            "mss-base": "MSS base area (approximate)",
        },
        "confidences": {"high": "high", "medium": "medium", "low": "low"},
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "close": "Close",
        "layers": "Layers",
        "sites_and_boundaries": "Key sites and boundaries",
        "play": "Play the months or weeks, one after another",
        "pause": "Pause",
        # Names of key sites in this language (others keep the gazetteer's name, a proper name).
        "site_names": {
            "airport": "Toussaint Louverture airport (MTPP), runway midpoint",
            "airport-terminal": "Airport terminal (Maïs Gâté, PAP)",
            "mss-base": "MSS base (approximate)",
            "palais-national": "National Palace",
            "port": "Port-au-Prince international port (APN)",
            "runway-10-threshold": "MTPP runway 10 threshold",
            "runway-28-threshold": "MTPP runway 28 threshold",
            "us-embassy": "US Embassy (Tabarre)",
        },
        "country": "Haiti",
        "legend_button": "Legend",
        "notes_button": "Notes ({n})",
        # The sources every map credits (from geodata/SOURCES.md), in this language.
        "base_credits": (
            "Administrative boundaries: CNIGS / OCHA Haiti COD-AB (hti_adm_cnigs_20181129), via HDX, CC BY-IGO 3.0",
            "Data from Who's On First (https://whosonfirst.org), incl. GeoNames (CC BY 4.0) and Quattroshapes (CC BY)",
            "Airport: OurAirports (public domain), Natural Earth (public domain)",
            "Some place coordinates: Wikipedia contributors (CC BY-SA)",
            "One place point: © OpenStreetMap contributors (ODbL)",
            "Zones, risk and map: katye",
        ),
        "disclaimer": (
            "Boundaries, names and zones on this map are not an official position: katye and its sources "
            "neither endorse nor accept them. Zones are drawn for analysis, not as administrative limits."
        ),
        "month_only": "{month} only",
        "week_only": "Week of {start} to {end} only",
        "whole_period": "Whole period: does not follow the month or week chosen",
        "stack_size": "{n} events at one place (number shown)",
        "fatality_size": {"one": "one event, {n} death", "other": "one event, {n} deaths"},
        "page": "{from}–{to} of {n}",
        "previous": "Previous",
        "next": "Next",
        "credit_acled": "Incidents: ACLED, accessed {accessed}; acleddata.com",
        "access_not_given": "Incidents: ACLED (access date not given); acleddata.com",
        "credit_synthetic": "Incidents: SYNTHETIC data in ACLED's layout; not ACLED data",
        "basemap": "Basemap: ",
        "status": "Status",
        "actor": "Actor",
        "as_of": "As of",
        "confidence": "Confidence",
        "zone_shape": "Zone outline",
        "zone_shapes": {
            "high": "official or surveyed",
            "medium": "official section, or a cell around a point good to 500 m",
            "low": "APPROXIMATE: a cell around a point good only to a kilometre or more, or a stand-in",
        },
        "inferred": "Inferred from incidents",
        "disagrees": "Declared and inferred status disagree",
        "stand_in": "Dotted and paler: a stand-in area, its position approximate (the MSS base)",
        "stack_colour": "A stack takes the colour of its commonest type",
        "symbol_sizes": "Symbol sizes",
        "risk_index": "Risk index",
        "risk_class": "Risk class",
        "trend": "Trend",
        "change": "Change",
        "zone": "Zone",
        "precision_m": "Precision (m)",
        "note": "Note",
        "commune": "Commune",
        "section": "Section",
        "gi_z": "Gi* z-score",
        "p_value": "Pseudo p-value",
        "hotspot": "Class",
        "hotspot_classes": {
            "hot 99%": "hot spot, 99% confidence",
            "hot 95%": "hot spot, 95% confidence",
            "hot 90%": "hot spot, 90% confidence",
            "cold 90%": "cold spot, 90% confidence",
            "cold 95%": "cold spot, 95% confidence",
            "cold 99%": "cold spot, 99% confidence",
            "not significant": "not significant (outline only)",
        },
        "emerging": "Emerging hot spots",
        "emerging_category": "Category",
        "emerging_history": "History",
        "emerging_slices": "Hot / cold / all slices",
        "emerging_trend": "Trend of Gi* (Mann-Kendall)",
        "emerging_period": {"week": "ACLED weeks", "month": "months"},
        "emerging_method": "Getis-Ord Gi* in each of {n} {slices}, {first} to {last}, FDR-corrected; "
        "trend by Mann-Kendall; categories as in ArcGIS Pro's emerging hot spot analysis.",
        "emerging_history_key": "History: ▲ significant hot spot, ▼ cold spot, · neither, one mark per slice.",
        "corridors": {
            "layer": "Corridors",
            "legend_title": "Risk along the roads (recent events count more)",
            "method": "Exactly located events within {m} m of each road segment, weighed by age: "
            "an event on {as_of} counts 1, one {half_life} days older 0.5. "
            "Approximately located events are left out.",
            "no_event": "no event within reach",
            "none_found": "No exactly located event within {m} m of these roads.",
            "unnamed": "Unnamed road",
            "osm_credit": "Roads: © OpenStreetMap contributors, ODbL 1.0",
            "unknown_credit": "Roads: source not given",
            "risk": "Recency-weighted risk",
            "ref": "Road number",
            "highway": "Road type",
            "route": "Whole road",
            "route_text": "{events}, risk {risk}",
        },
        "emerging_categories": {
            "new hot spot": "new hot spot",
            "consecutive hot spot": "consecutive hot spot",
            "intensifying hot spot": "intensifying hot spot",
            "persistent hot spot": "persistent hot spot",
            "diminishing hot spot": "diminishing hot spot",
            "sporadic hot spot": "sporadic hot spot",
            "oscillating hot spot": "oscillating hot spot",
            "historical hot spot": "historical hot spot",
            "new cold spot": "new cold spot",
            "consecutive cold spot": "consecutive cold spot",
            "intensifying cold spot": "intensifying cold spot",
            "persistent cold spot": "persistent cold spot",
            "diminishing cold spot": "diminishing cold spot",
            "sporadic cold spot": "sporadic cold spot",
            "oscillating cold spot": "oscillating cold spot",
            "historical cold spot": "historical cold spot",
            "no pattern detected": "no pattern detected (outline only)",
        },
        "chart_weekly_title": "Events within {km} km of key sites, by ACLED week",
        "chart_week_axis": "ACLED week (Saturday to Friday), by its first day",
        "chart_events_axis": "Events",
        "chart_exact_only": "Exactly located events only: those known only to a commune or near a named place "
        "are left out.",
        "chart_risk_title": "Risk index of the {n} highest zones, as of each month's end",
        "chart_month_axis": "Month (risk index as of its last day)",
        "chart_multiples_title": "Events per zone, month by month",
        "chart_events_per_zone": "Exactly located events per zone in the month",
        "chart_source_unknown": "Incidents: source not given",
        "no_hotspot": "No zone is a significant hot or cold spot at 90% confidence.",
        "trends": {
            "large increase": "large increase",
            "moderate increase": "moderate increase",
            "limited change": "limited change",
            "large decrease": "large decrease",
            "low baseline": "too few earlier events for a trend",
            "new activity": "new activity",
        },
        "pcode": "P-code",
        "density_legend": "Incidents per km² (kernel density)",
        "no_density": "no incident located at or near its place",
        "ring": "{km} km ring",
        "approximate_site": "Approximate position (circle: uncertainty)",
        "site": "Site",
        "synthetic": "SYNTHETIC DATA: these incidents are made up for testing; they are not real events.",
        "synthetic_banner": "SYNTHETIC DATA: not real events",
        "synthetic_mark": "SYNTHETIC",
        "synthetic_watermark": "SYNTHETIC DATA",
        "illustrative_banner": "ILLUSTRATIVE control data: not an assessment",
        "illustrative": "ILLUSTRATIVE control data: not an assessment of who controls these zones.",
        "approximate": "Zones are approximate: cells around sourced place points (at most 950 m in the dense "
        "communes), the rest of each section named after it; the MSS base area is a stand-in.",
        "acled_precision": {
            "one": "{n} incident is located only approximately (drawn hollow when drawn alone); "
            "it is not in zone counts ({detail}).",
            "other": "{n} incidents are located only approximately (drawn hollow when drawn one by one); "
            "they are not in zone counts ({detail}).",
        },
        "beyond_map": {
            "one": "{n} incident lies more than {km} km beyond the zones' extent and is not drawn.",
            "other": "{n} incidents lie more than {km} km beyond the zones' extent and are not drawn.",
        },
        "precisions": {
            "exact": "exact",
            "near": "near the named place",
            "commune": "commune only",
            "region": "department or wider only",
            "unknown": "unknown (not given in the file)",
        },
        "precision_counts": {
            "near": "{n} near a place",
            "commune": "{n} located only to a commune",
            "region": "{n} only to a department",
            "unknown": "{n} of unknown precision",
        },
        "bases": {
            "geo_precision": "ACLED geo_precision",
            "missing": "no geo_precision in the file",
            "declared": "declared by the user",
            "admin_name": "location names a commune",
            "commune_centre": "on a commune-centre point",
        },
        "holder": "Held by",
        "of": "of",
        "unidentified": "unidentified armed group(s)",
        "state_presence": "State forces acting",
        "risk_unit": {"zone": "per zone", "km2": "per km²", "population": "per 100,000 people"},
        "population_note": {
            "grid": "Population: modelled grid {grid}, each zone's people summed by the share of each pixel "
            "inside it. Modelled grids can differ from official counts by up to 2× in peri-urban communes.",
            "table": "Population: official table {table} per {level}; zones that are not its units get its "
            "people split by area.",
            "rescaled": "Population: modelled grid {grid} rescaled to the official totals of {table} per "
            "{level}; before rescaling the two differed by up to {ratio}× ({unit}).",
            "levels": {"section": "section communale", "commune": "commune"},
            "no_people": {
                "one": "{n} zone has nobody in the population data: no rate per 100,000 people (shown as —).",
                "other": "{n} zones have nobody in the population data: no rate per 100,000 people (shown as —).",
            },
        },
        "period_all": "{start} to {end}",
        "none": "no events",
        "statuses": {
            "state": "State",
            "contested": "Contested",
            "gang": "Armed group",
            "international": "International force",
            "unknown": "Unknown",
        },
        "classes": {
            "very low": "very low",
            "low": "low",
            "medium": "medium",
            "high": "high",
            "very high": "very high",
            "none": "no exactly located events",
        },
    },
    "fr": {
        "title": "Insécurité à Port-au-Prince",
        "control": "Contrôle",
        "risk": "Risque",
        "incidents": "Incidents",
        "density": "Densité",
        "hotspots": "Points chauds",
        "sites": "Sites clés",
        "boundaries": "Limites",
        "names": "Noms de lieux",
        "name_column": "name_fr",
        # Numbers and dates as a French report writes them: 1 843, 31 décembre 2024.
        "thousands": "\u202f",
        # 1er janvier; 0 and 1 take the singular.
        "first_day": "er",
        "zero_singular": True,
        "percent_space": "\u202f",
        "months": (
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        # ACLED's event types in French, as ACLED's French-language material names them.
        "event_types": {
            "Battles": "Batailles",
            "Explosions/Remote violence": "Explosions/Violence à distance",
            "Protests": "Manifestations",
            "Riots": "Émeutes",
            "Strategic developments": "Développements stratégiques",
            "Violence against civilians": "Violence contre des civils",
        },
        "events": "Événements",
        "fatalities": "Morts",
        "date": "Date",
        "type": "Type",
        "sub_type": "Sous-type d'événement",
        "sub_event_types": {
            "Armed clash": "Affrontement armé",
            "Government regains territory": "Reprise de territoire par le gouvernement",
            "Non-state actor overtakes territory": "Prise de territoire par un acteur non étatique",
            "Chemical weapon": "Arme chimique",
            "Air/drone strike": "Frappe aérienne ou de drone",
            "Suicide bomb": "Attentat-suicide",
            "Shelling/artillery/missile attack": "Bombardement, tir d'artillerie ou de missile",
            "Remote explosive/landmine/IED": "Explosif télécommandé, mine ou engin explosif improvisé",
            "Grenade": "Grenade",
            "Sexual violence": "Violence sexuelle",
            "Attack": "Attaque",
            "Abduction/forced disappearance": "Enlèvement ou disparition forcée",
            "Peaceful protest": "Manifestation pacifique",
            "Protest with intervention": "Manifestation avec intervention",
            "Excessive force against protesters": "Usage excessif de la force contre des manifestants",
            "Violent demonstration": "Manifestation violente",
            "Mob violence": "Violence de foule",
            "Agreement": "Accord",
            "Arrests": "Arrestations",
            "Change to group/activity": "Changement de groupe ou d'activité",
            "Disrupted weapons use": "Usage d'armes déjoué",
            "Headquarters or base established": "Établissement d'un quartier général ou d'une base",
            "Looting/property destruction": "Pillage ou destruction de biens",
            "Non-violent transfer of territory": "Transfert non violent de territoire",
            "Other": "Autre",
        },
        "actors": "Acteurs",
        "location": "Lieu",
        "precision": "Précision du lieu",
        "exact": "exacte",
        "coarse": "localisé approximativement (vide) : hors des comptes par zone",
        "source": "Source",
        "notes": "Notes",
        "aggregated": "Incidents dans ce carré",
        "cells": "Incidents par carré d'environ {m} m, tous types et précisions confondus (plus foncé : plus "
        "nombreux) ; cliquer un carré pour ses comptes par type",
        "period": "Période :",
        "all_periods": "Toute la période",
        "months_group": "Mois",
        "weeks_group": "Semaines ACLED (du samedi au vendredi)",
        "credits": "Sources",
        "credits_lead": "Sources\u202f: ",
        "stack": "{n} événements à cet endroit",
        "event_count": {"one": "{n} événement", "other": "{n} événements"},
        "armed_event_count": {"one": "{n} événement de groupe armé", "other": "{n} événements de groupes armés"},
        "zone_names": {
            "airport": "Aéroport (Toussaint-Louverture, PAP/MTPP)",
            "carrefour-centre": "Carrefour (centre)",
            "cite-soleil": "Cité Soleil (centre)",
            "gressier-town": "Gressier (bourg)",
            "mss-base": "Zone de la base de la MSS (approximative)",
        },
        "confidences": {"high": "élevée", "medium": "moyenne", "low": "faible"},
        "zoom_in": "Zoom avant",
        "zoom_out": "Zoom arrière",
        "close": "Fermer",
        "layers": "Couches",
        "sites_and_boundaries": "Sites clés et limites",
        "play": "Faire défiler les mois ou les semaines",
        "pause": "Pause",
        "site_names": {
            "airport": "Aéroport Toussaint-Louverture (MTPP), milieu de la piste",
            "airport-terminal": "Aérogare (Maïs Gâté, PAP)",
            "mss-base": "Base de la MSS (approximative)",
            "palais-national": "Palais national",
            "port": "Port international de Port-au-Prince (APN)",
            "runway-10-threshold": "MTPP, seuil de la piste 10",
            "runway-28-threshold": "MTPP, seuil de la piste 28",
            "us-embassy": "Ambassade des États-Unis (Tabarre)",
        },
        "country": "Haïti",
        "legend_button": "Légende",
        "notes_button": "Notes ({n})",
        "base_credits": (
            "Limites administratives\u202f: CNIGS / OCHA Haïti COD-AB (hti_adm_cnigs_20181129), via HDX, CC BY-IGO 3.0",
            "Données de Who's On First (https://whosonfirst.org), dont GeoNames (CC BY 4.0) et Quattroshapes (CC BY)",
            "Aéroport\u202f: OurAirports (domaine public), Natural Earth (domaine public)",
            "Coordonnées de certains lieux\u202f: contributeurs de Wikipédia (CC BY-SA)",
            "Un lieu\u202f: © contributeurs d'OpenStreetMap (ODbL)",
            "Zones, risque et carte\u202f: katye",
        ),
        "disclaimer": (
            "Les limites, noms et zones de cette carte ne sont pas une position officielle\u202f: katye et "
            "ses sources ne les approuvent ni ne les acceptent. Les zones servent à l'analyse\u202f; ce ne "
            "sont pas des limites administratives."
        ),
        "month_only": "{month} seulement",
        "week_only": "Semaine du {start} au {end} seulement",
        "whole_period": "Toute la période : ne suit ni le mois ni la semaine choisis",
        "stack_size": "{n} événements au même endroit (nombre indiqué)",
        "fatality_size": {"one": "un événement, {n} mort", "other": "un événement, {n} morts"},
        "page": "{from}–{to} sur {n}",
        "previous": "Précédent",
        "next": "Suivant",
        "credit_acled": "Incidents\u202f: ACLED, consulté le {accessed}\u202f; acleddata.com",
        "access_not_given": "Incidents\u202f: ACLED (date de consultation non indiquée)\u202f; acleddata.com",
        "credit_synthetic": "Incidents\u202f: données SYNTHÉTIQUES au format ACLED\u202f; pas des données ACLED",
        "basemap": "Fond de carte\u202f: ",
        "status": "Statut",
        "actor": "Acteur",
        "as_of": "Situation au",
        "confidence": "Confiance",
        "zone_shape": "Contour de la zone",
        "zone_shapes": {
            "high": "officiel ou levé",
            "medium": "section officielle, ou cellule autour d'un point précis à 500 m",
            "low": "APPROXIMATIF : cellule autour d'un point précis au kilomètre ou moins, ou zone indicative",
        },
        "inferred": "Déduit des incidents",
        "disagrees": "Statuts déclaré et déduit en désaccord",
        "stand_in": "En pointillé et plus pâle\u202f: zone indicative, position approximative (la base de la MSS)",
        "stack_colour": "Un groupe prend la couleur de son type le plus fréquent",
        "symbol_sizes": "Taille des symboles",
        "risk_index": "Indice de risque",
        "risk_class": "Classe de risque",
        "trend": "Tendance",
        "change": "Variation",
        "zone": "Zone",
        "precision_m": "Précision (m)",
        "note": "Note",
        "commune": "Commune",
        "section": "Section",
        "gi_z": "Score z de Gi*",
        "p_value": "Pseudo-valeur p",
        "hotspot": "Classe",
        "hotspot_classes": {
            "hot 99%": "point chaud, confiance 99\u202f%",
            "hot 95%": "point chaud, confiance 95\u202f%",
            "hot 90%": "point chaud, confiance 90\u202f%",
            "cold 90%": "point froid, confiance 90\u202f%",
            "cold 95%": "point froid, confiance 95\u202f%",
            "cold 99%": "point froid, confiance 99\u202f%",
            "not significant": "non significatif (contour seul)",
        },
        "emerging": "Points chauds émergents",
        "emerging_category": "Catégorie",
        "emerging_history": "Historique",
        "emerging_slices": "Tranches chaudes / froides / toutes",
        "emerging_trend": "Tendance du Gi* (Mann-Kendall)",
        "emerging_period": {"week": "semaines ACLED", "month": "mois"},
        "emerging_method": "Gi* de Getis-Ord dans chacune des {n} {slices}, du {first} au {last}, corrigé par FDR ; "
        "tendance par Mann-Kendall ; catégories de l'analyse des points chauds émergents d'ArcGIS Pro.",
        "emerging_history_key": "Historique : ▲ point chaud significatif, ▼ point froid, · ni l'un ni l'autre, "
        "une marque par tranche.",
        "corridors": {
            "layer": "Axes routiers",
            "legend_title": "Risque le long des routes (les événements récents comptent davantage)",
            "method": "Événements localisés exactement à moins de {m} m de chaque tronçon, pondérés par leur âge : "
            "un événement du {as_of} compte 1, un autre de {half_life} jours plus ancien 0,5. "
            "Les événements localisés approximativement sont exclus.",
            "no_event": "aucun événement à proximité",
            "none_found": "Aucun événement localisé exactement à moins de {m} m de ces routes.",
            "unnamed": "Route sans nom",
            "osm_credit": "Routes : © contributeurs d'OpenStreetMap, ODbL 1.0",
            "unknown_credit": "Routes : source non indiquée",
            "risk": "Risque pondéré par la date",
            "ref": "Numéro de route",
            "highway": "Type de route",
            "route": "Route entière",
            "route_text": "{events}, risque {risk}",
        },
        "emerging_categories": {
            "new hot spot": "nouveau point chaud",
            "consecutive hot spot": "point chaud consécutif",
            "intensifying hot spot": "point chaud en intensification",
            "persistent hot spot": "point chaud persistant",
            "diminishing hot spot": "point chaud en diminution",
            "sporadic hot spot": "point chaud sporadique",
            "oscillating hot spot": "point chaud oscillant",
            "historical hot spot": "point chaud historique",
            "new cold spot": "nouveau point froid",
            "consecutive cold spot": "point froid consécutif",
            "intensifying cold spot": "point froid en intensification",
            "persistent cold spot": "point froid persistant",
            "diminishing cold spot": "point froid en diminution",
            "sporadic cold spot": "point froid sporadique",
            "oscillating cold spot": "point froid oscillant",
            "historical cold spot": "point froid historique",
            "no pattern detected": "aucun modèle détecté (contour seul)",
        },
        "chart_weekly_title": "Événements à moins de {km} km des sites clés, par semaine ACLED",
        "chart_week_axis": "Semaine ACLED (du samedi au vendredi), par son premier jour",
        "chart_events_axis": "Événements",
        "chart_exact_only": "Seuls les événements localisés exactement : ceux connus seulement à la commune "
        "ou près d'un lieu nommé sont écartés.",
        "chart_risk_title": "Indice de risque des {n} zones les plus élevées, à la fin de chaque mois",
        "chart_month_axis": "Mois (indice de risque à son dernier jour)",
        "chart_multiples_title": "Événements par zone, mois par mois",
        "chart_events_per_zone": "Événements localisés exactement par zone dans le mois",
        "chart_source_unknown": "Incidents : source non indiquée",
        "no_hotspot": "Aucune zone n'est un point chaud ou froid significatif à 90\u202f% de confiance.",
        "trends": {
            "large increase": "forte hausse",
            "moderate increase": "hausse modérée",
            "limited change": "évolution limitée",
            "large decrease": "forte baisse",
            "low baseline": "trop peu d'événements antérieurs pour une tendance",
            "new activity": "nouvelle activité",
        },
        "pcode": "P-code",
        "density_legend": "Incidents par km² (densité à noyau)",
        "no_density": "aucun incident localisé à son lieu ou près de lui",
        "ring": "Cercle de {km} km",
        "approximate_site": "Position approximative (cercle : incertitude)",
        "site": "Site",
        "synthetic": "DONNÉES SYNTHÉTIQUES : incidents inventés pour les tests ; ce ne sont pas des faits réels.",
        "synthetic_banner": "DONNÉES SYNTHÉTIQUES : pas des faits réels",
        "synthetic_mark": "SYNTHÉTIQUE",
        "synthetic_watermark": "DONNÉES SYNTHÉTIQUES",
        "illustrative_banner": "Contrôle ILLUSTRATIF : pas une évaluation",
        "illustrative": "Données de contrôle ILLUSTRATIVES : pas une évaluation de qui contrôle ces zones.",
        "approximate": "Les zones sont approximatives : cellules autour de lieux sourcés (950 m au plus dans les "
        "communes denses), le reste de chaque section porte son nom ; la zone de la base de la MSS "
        "est indicative.",
        "acled_precision": {
            "one": "{n} incident n'est localisé qu'approximativement (dessiné vide quand il est dessiné seul) ; "
            "il ne compte pas dans les zones ({detail}).",
            "other": "{n} incidents ne sont localisés qu'approximativement (dessinés vides quand ils sont "
            "dessinés un à un) ; ils ne comptent pas dans les zones ({detail}).",
        },
        "beyond_map": {
            "one": "{n} incident situé à plus de {km} km de l'emprise des zones n'est pas représenté.",
            "other": "{n} incidents situés à plus de {km} km de l'emprise des zones ne sont pas représentés.",
        },
        "precisions": {
            "exact": "exacte",
            "near": "près du lieu nommé",
            "commune": "commune seulement",
            "region": "département ou plus large seulement",
            "unknown": "inconnue (absente du fichier)",
        },
        "precision_counts": {
            "near": "{n} près d'un lieu",
            "commune": "{n} localisés à la commune seulement",
            "region": "{n} au département seulement",
            "unknown": "{n} de précision inconnue",
        },
        "bases": {
            "geo_precision": "geo_precision d'ACLED",
            "missing": "pas de geo_precision dans le fichier",
            "declared": "déclarée par l'utilisateur",
            "admin_name": "le lieu nomme une commune",
            "commune_centre": "sur un point de centre de commune",
        },
        "holder": "Tenue par",
        "of": "sur",
        "unidentified": "groupe(s) armé(s) non identifié(s)",
        "state_presence": "Forces de l'État en action",
        "risk_unit": {"zone": "par zone", "km2": "par km²", "population": "pour 100 000 habitants"},
        "population_note": {
            "grid": "Population : grille modélisée {grid}, les habitants de chaque zone sommés selon la part "
            "de chaque pixel qu’elle couvre. Les grilles modélisées peuvent s’écarter des chiffres officiels "
            "jusqu’à 2× dans les communes périurbaines.",
            "table": "Population : tableau officiel {table} par {level} ; les zones qui n’en sont pas les "
            "unités reçoivent sa population répartie selon la surface.",
            "rescaled": "Population : grille modélisée {grid} recalée sur les totaux officiels de {table} par "
            "{level} ; avant recalage, l’écart atteignait {ratio}× ({unit}).",
            "levels": {"section": "section communale", "commune": "commune"},
            "no_people": {
                "one": "{n} zone n’a aucun habitant dans les données de population : pas de taux pour "
                "100 000 habitants (affiché —).",
                "other": "{n} zones n’ont aucun habitant dans les données de population : pas de taux pour "
                "100 000 habitants (affiché —).",
            },
        },
        "period_all": "du {start} au {end}",
        "none": "aucun événement",
        "statuses": {
            "state": "État",
            "contested": "Contesté",
            "gang": "Groupe armé",
            "international": "Force internationale",
            "unknown": "Inconnu",
        },
        "classes": {
            "very low": "très faible",
            "low": "faible",
            "medium": "moyen",
            "high": "élevé",
            "very high": "très élevé",
            "none": "aucun événement localisé précisément",
        },
    },
}


LABELS["ht"] = HT


def number_text(value: float, words: dict) -> str:
    """A whole number with the language's thousands separator: ``1,843`` or ``1 843`` (narrow space)."""
    return f"{round(value):,}".replace(",", words.get("thousands", ","))


def localised(text: str, words: dict) -> str:
    """English-style numbers in ``text`` (``1,843.5``) written the language's way (``1 843,5`` in French)."""
    thousands = words.get("thousands")
    if not thousands:
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", thousands)


def count_text(n: int, forms: dict, words: dict, **fields) -> str:
    """``n`` with the noun in the right number (``1 événement``, ``2 événements``); French counts 0 and 1 as one.

    ``fields`` fill the text's other placeholders.
    """
    one = n == 1 or (n == 0 and bool(words.get("zero_singular")))
    return forms["one" if one else "other"].format(n=number_text(n, words), **fields)


def percent_text(share: float, words: dict, *, signed: bool = False) -> str:
    """A share as a whole percentage: ``60%`` in English, ``60 %`` (narrow no-break space) in French.

    ``signed`` writes a change: ``+12%``, ``-40 %``.
    """
    text = f"{share:+.0%}" if signed else f"{share:.0%}"
    return text.replace("%", words.get("percent_space", "") + "%")


def day_text(day, words: dict) -> str:
    """A date as the language writes it in a report: ISO in English, ``1er janvier 2024`` in French."""
    months = words.get("months")
    if not months:
        return str(day)
    return f"{day.day}{words.get('first_day', '') if day.day == 1 else ''} {months[day.month - 1]} {day.year}"


def month_text(month: str, words: dict) -> str:
    """A ``YYYY-MM`` month as the language writes it: as is in English, ``novembre 2024`` in French."""
    months = words.get("months")
    if not months:
        return month
    year, number = month.split("-")
    return f"{months[int(number) - 1]} {year}"


def week_text(saturday: str, words: dict) -> str:
    """An ACLED week (``YYYY-MM-DD`` of its Saturday) as its first and last day: ``2024-10-26 – 2024-11-01``."""
    first = dt.date.fromisoformat(saturday)
    return f"{day_text(first, words)} – {day_text(first + dt.timedelta(days=6), words)}"


def labels(lang: str) -> dict:
    """The label set for ``lang``: ``en``, ``fr`` or ``ht`` (Haitian Creole)."""
    try:
        return LABELS[lang.lower()]
    except (KeyError, AttributeError):
        raise UsageError(f"lang={lang!r}: katye maps speak 'en', 'fr' or 'ht' (Haitian Creole).") from None
